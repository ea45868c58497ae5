#pragma once
// rolling_text_files(dir): a sink writing records as lines into part files,
//   dir/part-00000, dir/part-00001, ...
// Each part is written under a hidden temporary name (dir/.part-00000.inprogress)
// and renamed when complete, so a reader of dir (text_files_in, Spark, a shell
// loop) never sees half a file. A part is complete:
//   - at each batch end (micro-batch), when it has records (per_batch);
//   - when it reaches max_bytes;
//   - at the end of input.
//   rolling_text_files("/out", {.prefix = "counts", .max_bytes = 64 << 20})
// Errors (cannot create, write, rename) throw std::runtime_error naming the file.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../core/format.hpp"
#include "text_file.hpp"

namespace spate {

struct rolling_options {
  std::string prefix = "part";
  std::uint64_t max_bytes = 128ull << 20;  ///< roll when a part reaches this size
  bool per_batch = true;                    ///< roll at every batch end
};

struct rolling_file_sink : sink_tag {
  std::string dir;
  rolling_options opt;
  static constexpr const char* name = "rolling_text_files";

  template <class Flow>
  static constexpr bool check() {
    return text_sink_accepts<"rolling_text_files", Flow>();
  }

  struct built : sink_control {
    std::string dir;
    rolling_options opt;
    std::shared_ptr<std::FILE> file;  // shared: built stages are copied while building
    std::string tmp, final_name, text;
    std::uint64_t part = 0, bytes = 0;

    template <class R>
    bool push(const R& r) {
      if (!file) open();
      if constexpr (std::is_convertible_v<const R&, std::string_view>) {
        write(std::string_view(r));
      } else {
        text = to_text(r);
        write(text);
      }
      write("\n");
      if (bytes >= opt.max_bytes) roll();
      return true;
    }
    void on_batch_end(const batch_info&) {
      if (opt.per_batch) roll();
    }
    void on_end() { roll(); }

    void open() {
      char num[32];
      std::snprintf(num, sizeof num, "-%05llu", static_cast<unsigned long long>(part));
      final_name = dir + "/" + opt.prefix + num;
      tmp = dir + "/." + opt.prefix + num + ".inprogress";
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      if (!f) detail::throw_file_error("rolling_text_files: cannot create", tmp, -1, errno);
      file.reset(f, detail::file_closer{});
      bytes = 0;
    }
    void write(std::string_view s) {
      if (std::fwrite(s.data(), 1, s.size(), file.get()) != s.size())
        detail::throw_file_error("rolling_text_files: cannot write", tmp, static_cast<long long>(bytes), errno);
      bytes += s.size();
    }
    /// Completes the current part, if any: flush, close, rename into place.
    void roll() {
      if (!file) return;
      if (std::fflush(file.get()) != 0) detail::throw_file_error("rolling_text_files: cannot flush", tmp, -1, errno);
      file.reset();
      if (std::rename(tmp.c_str(), final_name.c_str()) != 0)
        detail::throw_file_error("rolling_text_files: cannot rename to", final_name, -1, errno);
      ++part;
    }
  };
  template <class Flow, class Env>
  built build(Env&, stage_label) const {
    return built{{}, dir, opt, nullptr, {}, {}, {}, 0, 0};
  }
};

/// Writes records as lines into rolling part files in dir (see above).
inline rolling_file_sink rolling_text_files(std::string dir, rolling_options opt = {}) {
  return rolling_file_sink{{}, std::move(dir), std::move(opt)};
}

}  // namespace spate
