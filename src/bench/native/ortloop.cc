// The engine's own speed, for `npm run bench:overhead`: the ONNX Runtime library that onnxruntime-node ships,
// driven from C++ in a process without Node (no JavaScript, no garbage collector, no copy of each output into
// a JavaScript buffer). Session options are fedbench's (onnxruntime.ts); inputs are uniform in [-1, 1].
// usage: ortloop MODEL.onnx THREADS WARMUP CALLS  ->  one call's seconds per line on stdout
#include <onnxruntime_cxx_api.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: ortloop MODEL.onnx THREADS WARMUP CALLS\n");
    return 2;
  }
  try {
    Ort::Env env(ORT_LOGGING_LEVEL_FATAL, "ortloop");
    Ort::SessionOptions options;
    options.SetIntraOpNumThreads(std::atoi(argv[2]));
    options.SetInterOpNumThreads(1);
    options.SetExecutionMode(ORT_SEQUENTIAL);
    options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    Ort::Session session(env, argv[1], options);

    Ort::AllocatorWithDefaultOptions allocator;
    auto cpu = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> uniform(-1.f, 1.f);
    std::vector<std::string> inputNames, outputNames;
    std::vector<std::vector<float>> buffers;
    std::vector<Ort::Value> inputs;
    for (size_t i = 0; i < session.GetInputCount(); i++) {
      inputNames.emplace_back(session.GetInputNameAllocated(i, allocator).get());
      auto shape = session.GetInputTypeInfo(i).GetTensorTypeAndShapeInfo().GetShape();
      size_t count = 1;
      for (auto d : shape) count *= static_cast<size_t>(d);
      buffers.emplace_back(count);
      for (auto& x : buffers.back()) x = uniform(rng);
      inputs.push_back(Ort::Value::CreateTensor<float>(cpu, buffers.back().data(), count, shape.data(), shape.size()));
    }
    for (size_t i = 0; i < session.GetOutputCount(); i++)
      outputNames.emplace_back(session.GetOutputNameAllocated(i, allocator).get());
    std::vector<const char*> in, out;
    for (auto& s : inputNames) in.push_back(s.c_str());
    for (auto& s : outputNames) out.push_back(s.c_str());

    auto call = [&] { return session.Run(Ort::RunOptions{nullptr}, in.data(), inputs.data(), in.size(), out.data(), out.size()); };
    const int warmup = std::atoi(argv[3]), calls = std::atoi(argv[4]);
    for (int i = 0; i < warmup; i++) call();
    std::vector<double> seconds;
    using clock = std::chrono::steady_clock;
    for (int i = 0; i < calls; i++) {
      const auto t0 = clock::now();
      auto outputs = call();
      seconds.push_back(std::chrono::duration<double>(clock::now() - t0).count());
    }
    for (double s : seconds) std::printf("%.9f\n", s);
    return 0;
  } catch (const std::exception& e) {  // Ort::Exception, or a shape this loop cannot allocate
    std::fprintf(stderr, "ortloop: %s\n", e.what());
    return 1;
  }
}
