#pragma once
// The hash map that keyed state lives in: open addressing with linear probing
// in one flat array of std::pair<Key, Value> slots plus a byte of metadata per
// slot. No node per key (a std::unordered_map node costs a heap block), so
// state stays compact (about sizeof(pair) / load factor + 1 byte per key) and a
// lookup touches one cache line in the common case. Erase shifts the following
// run back, so there are no tombstones and lookups never degrade.
//
// Strings are looked up by std::string_view without building a std::string,
// so a key that is a view into the current record costs no allocation unless
// it is new.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace spate::state {

/// A key as stored: views become owning strings; everything else stays.
template <class K>
struct owned_key { using type = K; };
template <>
struct owned_key<std::string_view> { using type = std::string; };
template <>
struct owned_key<const char*> { using type = std::string; };
template <class K>
using owned_key_t = typename owned_key<std::remove_cvref_t<K>>::type;

/// Hashes keys and mixes the bits, so linear probing on a power-of-two table
/// does not cluster on integer keys (std::hash of an int is the identity).
struct key_hash {
  using is_transparent = void;
  static constexpr std::uint64_t mix(std::uint64_t h) noexcept {
    h ^= h >> 32;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    return h;
  }
  std::size_t operator()(std::string_view s) const noexcept { return mix(std::hash<std::string_view>{}(s)); }
  std::size_t operator()(const std::string& s) const noexcept { return (*this)(std::string_view(s)); }
  std::size_t operator()(const char* s) const noexcept { return (*this)(std::string_view(s)); }
  template <class K>
    requires(!std::is_convertible_v<const K&, std::string_view>)
  std::size_t operator()(const K& k) const noexcept(noexcept(std::hash<K>{}(k))) {
    return mix(std::hash<K>{}(k));
  }
};

struct key_equal {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    if constexpr (std::is_convertible_v<const A&, std::string_view> && std::is_convertible_v<const B&, std::string_view>)
      return std::string_view(a) == std::string_view(b);
    else
      return a == b;
  }
};

template <class Key, class Value, class Hash = key_hash, class Eq = key_equal>
class hash_map {
 public:
  using key_type = Key;
  using mapped_type = Value;
  using value_type = std::pair<Key, Value>;

  hash_map() = default;
  hash_map(const hash_map& o) { *this = o; }
  hash_map(hash_map&& o) noexcept { swap(o); }
  hash_map& operator=(hash_map&& o) noexcept {
    hash_map tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~hash_map() { clear_storage(); }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t capacity() const noexcept { return cap_; }
  /// Heap bytes held, for memory figures.
  std::size_t memory_bytes() const noexcept { return cap_ * (sizeof(value_type) + 1); }

  /// The slot for `k`, inserting Value{make()} when absent. Returns {slot, inserted}.
  /// With Mark, the entry is also marked (see mark()) in the same probe.
  template <bool Mark = false, class K, class Make>
  std::pair<value_type*, bool> try_emplace_with(const K& k, Make&& make) {
    if ((size_ + 1) * 8 > cap_ * 7) grow();
    std::size_t h = hash_(k);
    std::size_t i = h & (cap_ - 1);
    const std::uint8_t tag = tag_of(h);
    while (meta_[i] != empty_slot) {
      if (same_tag(meta_[i], tag) && eq_(slots_[i].first, k)) {
        if constexpr (Mark)
          if (!(meta_[i] & mark_bit)) {
            meta_[i] |= mark_bit;
            ++marked_;
          }
        return {&slots_[i], false};
      }
      i = (i + 1) & (cap_ - 1);
    }
    std::construct_at(&slots_[i], value_type(Key(k), std::forward<Make>(make)()));
    meta_[i] = Mark ? static_cast<std::uint8_t>(tag | mark_bit) : tag;
    marked_ += Mark;
    ++size_;
    return {&slots_[i], true};
  }
  template <class K>
  std::pair<value_type*, bool> try_emplace(const K& k) {
    return try_emplace_with(k, [] { return Value{}; });
  }
  template <class K>
  Value& operator[](const K& k) { return try_emplace(k).first->second; }

  template <class K>
  value_type* find(const K& k) noexcept {
    if (size_ == 0) return nullptr;
    std::size_t h = hash_(k);
    std::size_t i = h & (cap_ - 1);
    const std::uint8_t tag = tag_of(h);
    while (meta_[i] != empty_slot) {
      if (same_tag(meta_[i], tag) && eq_(slots_[i].first, k)) return &slots_[i];
      i = (i + 1) & (cap_ - 1);
    }
    return nullptr;
  }
  template <class K>
  const value_type* find(const K& k) const noexcept { return const_cast<hash_map*>(this)->find(k); }

  template <class K>
  bool erase(const K& k) {
    value_type* p = find(k);
    if (!p) return false;
    erase_slot(static_cast<std::size_t>(p - slots_));
    return true;
  }

  /// Removes the entry at p (from find or try_emplace; later pointers into
  /// the table are invalid after).
  void erase_at(value_type* p) { erase_slot(static_cast<std::size_t>(p - slots_)); }

  /// Visits every entry as (const Key&, Value&).
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < cap_; ++i)
      if (meta_[i] != empty_slot) f(std::as_const(slots_[i].first), slots_[i].second);
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < cap_; ++i)
      if (meta_[i] != empty_slot) f(slots_[i].first, std::as_const(slots_[i].second));
  }
  /// Removes every entry for which pred(key, value) is true.
  template <class P>
  std::size_t erase_if(P&& pred) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < cap_;) {
      if (meta_[i] != empty_slot && pred(std::as_const(slots_[i].first), slots_[i].second)) {
        erase_slot(i);  // the next run shifts into i: look at i again
        ++n;
      } else {
        ++i;
      }
    }
    return n;
  }

  /// Marks an entry (e.g. "changed in this batch"); the mark moves with the
  /// entry. Returns true when it was not marked before.
  bool mark(value_type* p) noexcept {
    std::uint8_t& m = meta_[static_cast<std::size_t>(p - slots_)];
    if (m & mark_bit) return false;
    m |= mark_bit;
    ++marked_;
    return true;
  }
  std::size_t marked() const noexcept { return marked_; }
  /// Visits each entry as (key, value, whether it is marked).
  template <class F>
  void for_each_with_mark(F&& f) const {
    for (std::size_t i = 0; i < cap_; ++i)
      if (meta_[i] != empty_slot) f(std::as_const(slots_[i].first), std::as_const(slots_[i].second), (meta_[i] & mark_bit) != 0);
  }
  /// Visits each marked entry as (const value_type&) and clears its mark.
  template <class F>
  void drain_marked(F&& f) {
    for (std::size_t i = 0; marked_ > 0 && i < cap_; ++i)
      if (meta_[i] & mark_bit) {
        meta_[i] &= ~mark_bit;
        --marked_;
        f(std::as_const(slots_[i]));
      }
  }

  void clear() {
    for (std::size_t i = 0; i < cap_; ++i)
      if (meta_[i] != empty_slot) {
        std::destroy_at(&slots_[i]);
        meta_[i] = empty_slot;
      }
    size_ = 0;
    marked_ = 0;
  }
  void reserve(std::size_t n) {
    while (n * 8 > cap_ * 7) grow();
  }
  void swap(hash_map& o) noexcept {
    std::swap(slots_, o.slots_);
    std::swap(meta_, o.meta_);
    std::swap(cap_, o.cap_);
    std::swap(size_, o.size_);
    std::swap(marked_, o.marked_);
  }

  /// A copy is the same table: the same capacity, every entry in the same
  /// slot, marks included; for trivially copyable entries two block copies
  /// (a checkpoint freezes a large table this way and encodes the copy
  /// elsewhere).
  hash_map& operator=(const hash_map& o) requires std::is_copy_constructible_v<value_type> {
    if (this == &o) return *this;
    hash_map tmp;
    if (o.cap_) {
      tmp.slots_ = std::allocator<value_type>{}.allocate(o.cap_);
      tmp.meta_ = new std::uint8_t[o.cap_];
      tmp.cap_ = o.cap_;
      std::memcpy(tmp.meta_, o.meta_, o.cap_);
      if constexpr (std::is_trivially_copyable_v<value_type>) {
        std::memcpy(static_cast<void*>(tmp.slots_), static_cast<const void*>(o.slots_), o.cap_ * sizeof(value_type));
        tmp.size_ = o.size_;
      } else {
        std::fill_n(tmp.meta_, o.cap_, empty_slot);  // filled slot by slot: a throwing copy leaves tmp consistent
        for (std::size_t i = 0; i < o.cap_; ++i) {
          if (o.meta_[i] == empty_slot) continue;
          std::construct_at(&tmp.slots_[i], o.slots_[i]);
          tmp.meta_[i] = o.meta_[i];
          ++tmp.size_;
        }
      }
      tmp.marked_ = o.marked_;
    }
    swap(tmp);
    return *this;
  }

 private:
  static constexpr std::uint8_t empty_slot = 0;
  static constexpr std::uint8_t mark_bit = 0x40;
  // A non-zero tag from the hash's top bits: most mismatches are rejected
  // without comparing keys. Bit 0x40 is left for mark().
  static std::uint8_t tag_of(std::size_t h) noexcept { return static_cast<std::uint8_t>((h >> 58) | 0x80); }
  static bool same_tag(std::uint8_t meta, std::uint8_t tag) noexcept { return (meta & ~mark_bit) == tag; }

  void erase_slot(std::size_t i) {
    if (meta_[i] & mark_bit) --marked_;
    std::destroy_at(&slots_[i]);
    meta_[i] = empty_slot;
    --size_;
    // Backward-shift: move later members of the probe run into the hole when
    // their home position allows it.
    std::size_t hole = i;
    std::size_t j = (i + 1) & (cap_ - 1);
    while (meta_[j] != empty_slot) {
      std::size_t home = hash_(slots_[j].first) & (cap_ - 1);
      bool movable = ((j - home) & (cap_ - 1)) >= ((j - hole) & (cap_ - 1));
      if (movable) {
        std::construct_at(&slots_[hole], std::move(slots_[j]));
        meta_[hole] = meta_[j];
        std::destroy_at(&slots_[j]);
        meta_[j] = empty_slot;
        hole = j;
      }
      j = (j + 1) & (cap_ - 1);
    }
  }

  void grow() {
    std::size_t ncap = cap_ ? cap_ * 2 : 16;
    value_type* nslots = std::allocator<value_type>{}.allocate(ncap);
    std::uint8_t* nmeta = new std::uint8_t[ncap]();
    for (std::size_t i = 0; i < cap_; ++i) {
      if (meta_[i] == empty_slot) continue;
      std::size_t j = hash_(slots_[i].first) & (ncap - 1);
      while (nmeta[j] != empty_slot) j = (j + 1) & (ncap - 1);
      std::construct_at(&nslots[j], std::move(slots_[i]));
      nmeta[j] = meta_[i];
      std::destroy_at(&slots_[i]);
    }
    if (slots_) std::allocator<value_type>{}.deallocate(slots_, cap_);
    delete[] meta_;
    slots_ = nslots;
    meta_ = nmeta;
    cap_ = ncap;
  }

  void clear_storage() {
    if (!slots_) return;
    clear();
    std::allocator<value_type>{}.deallocate(slots_, cap_);
    delete[] meta_;
    slots_ = nullptr;
    meta_ = nullptr;
    cap_ = 0;
  }

  value_type* slots_ = nullptr;
  std::uint8_t* meta_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t size_ = 0;
  std::size_t marked_ = 0;
  [[no_unique_address]] Hash hash_{};
  [[no_unique_address]] Eq eq_{};
};

}  // namespace spate::state
