// Runs a libFuzzer target over files without libFuzzer: every argument is a
// file or a directory of files, each fed once to LLVMFuzzerTestOneInput().
// Used by ctest (unit.nnc.corpus_*) with the gcc build, to replay the
// in-tree corpus on every `make test`.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

int replay(const std::filesystem::path &p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", p.c_str());
    return 1;
  }
  const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)),
                                       std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  int files = 0;
  int errors = 0;
  for (int i = 1; i < argc; i++) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto &e : std::filesystem::directory_iterator(arg)) {
        if (e.is_regular_file()) {
          errors += replay(e.path());
          files++;
        }
      }
    } else {
      errors += replay(arg);
      files++;
    }
  }
  std::printf("replayed %d inputs\n", files);
  return errors != 0 || files == 0 ? 1 : 0;
}
