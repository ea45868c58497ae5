#pragma once
// A file path under the temporary directory, unique to this process and
// call, removed when the object goes away.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace spate_test {

class temp_file {
 public:
  explicit temp_file(std::string_view stem = "spate_test") {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             (std::string(stem) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".txt"))
                .string();
  }
  /// A file holding exactly `contents`.
  temp_file(std::string_view stem, std::string_view contents) : temp_file(stem) { write(contents); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  void write(std::string_view contents) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  }
  std::string read() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace spate_test
