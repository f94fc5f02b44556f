// ckpt-script-reader: reads a TorchScript archive with LibTorch's torch::jit::load (through
// the compute plugin) and prints its parameters, buffers and module classes as JSON. It runs
// as a process of its own so that an archive that crashes or hangs the loader cannot take
// the app or the CLI with it. Usage: ckpt-script-reader ARCHIVE
#include "model/compute/compute_backend.h"
#include "model/rules/target_architecture.h"

#include <iostream>

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: ckpt-script-reader ARCHIVE\n";
        return 2;
    }
    auto backend = ckpt::computeBackend();
    if (!backend) {
        std::cerr << backend.error().message << "\n";
        return 2;
    }
    auto info = (*backend)->scriptModule(argv[1]);
    if (!info) {
        std::cerr << info.error().message << "\n";
        return 2;
    }
    std::cout << ckpt::scriptModuleJson(*info) << std::flush;
    return 0;
}
