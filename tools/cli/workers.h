// A fixed set of threads that run one job at a time on all of them, the calling thread included.
// They are started once, with a small stack, before any output is made, so that a thread that
// cannot start is an error before anything is written, and jobs cost no thread creation.

#ifndef RWKVTOK_TOOLS_CLI_WORKERS_H_
#define RWKVTOK_TOOLS_CLI_WORKERS_H_

#include <pthread.h>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace rwkvtok {
namespace cli {

class Workers {
 public:
  // Starts `threads` - 1 threads (the caller is thread 0). Throws Error if one cannot start,
  // having stopped those that did.
  explicit Workers(size_t threads);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  size_t size() const { return threads_.size() + 1; }

  // Runs work(k) for every k below n (at most size()), work(0) on the calling thread, and returns
  // when all have returned. `work` must not throw.
  template <typename Work>
  void Run(size_t n, const Work& work) {
    RunJob(n, &Call<Work>, &work);
  }

 private:
  using Job = void (*)(const void* work, size_t k);
  template <typename Work>
  static void Call(const void* work, size_t k) {
    (*static_cast<const Work*>(work))(k);
  }
  void RunJob(size_t n, Job job, const void* work);
  void Stop();
  static void* ThreadMain(void* self);
  void Serve(size_t k);

  std::vector<pthread_t> threads_;
  std::mutex mutex_;
  // One per thread, so that a job wakes only the threads it needs.
  std::unique_ptr<std::condition_variable[]> start_;
  std::condition_variable done_;
  // The job in progress, for threads 1..n-1 of it.
  Job job_ = nullptr;
  const void* work_ = nullptr;
  size_t job_threads_ = 0;
  size_t running_ = 0;     // threads still in the job
  size_t generation_ = 0;  // jobs started so far
  bool stopping_ = false;
  size_t next_index_ = 1;  // handed to each thread as it starts
};

}  // namespace cli
}  // namespace rwkvtok

#endif  // RWKVTOK_TOOLS_CLI_WORKERS_H_
