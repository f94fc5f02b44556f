// Times opening a checkpoint in this process, as a Python user times torch.load or safe_open in
// theirs: Checkpoint::open, then every tensor's name, shape and dtype listed.
//   open_checkpoint PATH [REPEAT]   prints the median and the fastest run in ms, and the count
#include "model/checkpoint/checkpoint.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: open_checkpoint PATH [REPEAT]\n");
        return 2;
    }
    const int repeat = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    std::vector<double> ms;
    size_t listed = 0;
    for (int i = 0; i < repeat; ++i) {
        const auto start = std::chrono::steady_clock::now();
        auto c = ckpt::Checkpoint::open(argv[1]);
        if (!c) {
            std::fprintf(stderr, "error: %s: %s\n", argv[1], c.error().message.c_str());
            return 2;
        }
        std::vector<std::tuple<std::string, std::vector<int64_t>, ckpt::DType>> listing;
        listing.reserve((*c)->entries().size());
        for (const auto &e : (*c)->entries()) {
            const auto &t = (*c)->tensors()[size_t(e.tensor)];
            listing.emplace_back(ckpt::pathToString(e.path), t.shape, t.dtype);
        }
        listed = listing.size();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%.3f %.3f %zu\n", ms[ms.size() / 2], ms.front(), listed);
    return 0;
}
