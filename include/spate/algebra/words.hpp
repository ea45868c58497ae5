#pragma once
// words(text): the maximal runs of non-whitespace in text, as string_views
// into it (no allocation). Made for flat_map:
//   text_file(path) | flat_map([](const std::string& line) { return words(line); })
// java_split(text, sep): the pieces Java's text.split(sep) returns for a
// one-character separator (Spark's line.split(" ")), also as string_views:
// every separator cuts, so two in a row give an empty piece and a leading one
// gives an empty first piece; trailing empty pieces are removed (limit 0);
// text without the separator, "" included, is one piece, itself. The
// separator is taken literally (Java would read "." or "|" as a regular
// expression: this is split(Pattern.quote(sep))). For output identical to a
// Spark program's; words() is what a word count usually wants.
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

class java_split_view {
 public:
  java_split_view(std::string_view s, char sep) noexcept : sep_(sep) {
    if (s.find(sep) == std::string_view::npos) {
      s_ = s;  // no match: the input itself is the one piece, even when empty
      any_ = true;
    } else {
      // Trailing empty pieces are dropped: cut after the last non-separator.
      // If there is none (only separators), there is no piece at all.
      const std::size_t last = s.find_last_not_of(sep);
      any_ = last != std::string_view::npos;
      s_ = any_ ? s.substr(0, last + 1) : s.substr(0, 0);
    }
  }

  class iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    iterator(std::string_view s, char sep, std::size_t pos) noexcept : s_(s), sep_(sep), begin_(pos) { find(); }
    std::string_view operator*() const noexcept { return s_.substr(begin_, end_ - begin_); }
    iterator& operator++() noexcept {
      begin_ = end_ + 1;  // past the separator; s_.size() + 1 is the end
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
    void find() noexcept {
      if (begin_ > s_.size()) return;
      const std::size_t at = s_.find(sep_, begin_);
      end_ = at == std::string_view::npos ? s_.size() : at;
    }
    std::string_view s_;
    char sep_ = ' ';
    std::size_t begin_ = 0, end_ = 0;
  };

  iterator begin() const noexcept { return any_ ? iterator(s_, sep_, 0) : end(); }
  iterator end() const noexcept { return iterator(s_, sep_, s_.size() + 1); }

 private:
  std::string_view s_;
  char sep_;
  bool any_ = false;
};

/// The pieces of s that Java's s.split(String.valueOf(sep)) returns.
inline java_split_view java_split(std::string_view s, char sep) noexcept { return java_split_view(s, sep); }

}  // namespace spate
