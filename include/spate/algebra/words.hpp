#pragma once
// words(text): the maximal runs of non-whitespace in text, as string_views
// into it (no allocation). Made for flat_map:
//   text_file(path) | flat_map([](const std::string& line) { return words(line); })
#include <cstddef>
#include <iterator>
#include <string_view>

namespace spate {

class words_view {
 public:
  explicit words_view(std::string_view s) noexcept : s_(s) {}

  class iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    iterator(std::string_view s, std::size_t pos) noexcept : s_(s), begin_(pos) { find(); }
    std::string_view operator*() const noexcept { return s_.substr(begin_, end_ - begin_); }
    iterator& operator++() noexcept {
      begin_ = end_;
      find();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator t = *this;
      ++*this;
      return t;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.begin_ == b.begin_; }

   private:
    static bool space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
    void find() noexcept {
      while (begin_ < s_.size() && space(s_[begin_])) ++begin_;
      end_ = begin_;
      while (end_ < s_.size() && !space(s_[end_])) ++end_;
    }
    std::string_view s_;
    std::size_t begin_ = 0, end_ = 0;
  };

  iterator begin() const noexcept { return iterator(s_, 0); }
  iterator end() const noexcept { return iterator(s_, s_.size()); }

 private:
  std::string_view s_;
};

/// The whitespace-separated words of s.
inline words_view words(std::string_view s) noexcept { return words_view(s); }

}  // namespace spate
