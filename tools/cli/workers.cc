#include "tools/cli/workers.h"

#include <cstring>
#include <string>

#include "tools/cli/error.h"

namespace rwkvtok {
namespace cli {
namespace {

// Workers encode parts and format ids: a few KB of stack. 512 KB leaves room for sanitizers and
// lets 256 threads start in a fraction of the address space their default 8 MB stacks need.
constexpr size_t kStackBytes = size_t{512} << 10;

struct Start {
  Workers* workers;
  size_t index;
};

}  // namespace

Workers::Workers(size_t threads) : start_(new std::condition_variable[threads + 1]) {
  threads_.reserve(threads > 0 ? threads - 1 : 0);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) throw Error("cannot start threads");
  pthread_attr_setstacksize(&attr, kStackBytes);
  for (size_t k = 1; k < threads; ++k) {
    pthread_t thread;
    const int error = pthread_create(&thread, &attr, &Workers::ThreadMain, this);
    if (error != 0) {
      pthread_attr_destroy(&attr);
      Stop();
      throw Error("cannot start thread " + std::to_string(k + 1) + " of " +
                  std::to_string(threads) + ": " + std::strerror(error) + " (try fewer --threads)");
    }
    threads_.push_back(thread);
  }
  pthread_attr_destroy(&attr);
}

Workers::~Workers() { Stop(); }

void Workers::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  for (size_t k = 1; k <= threads_.size(); ++k) start_[k].notify_one();
  for (const pthread_t thread : threads_) pthread_join(thread, nullptr);
  threads_.clear();
}

void* Workers::ThreadMain(void* self) {
  Workers* const workers = static_cast<Workers*>(self);
  size_t k;
  {
    std::lock_guard<std::mutex> lock(workers->mutex_);
    k = workers->next_index_++;
  }
  workers->Serve(k);
  return nullptr;
}

void Workers::Serve(size_t k) {
  size_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    // A job that needs fewer threads does not wake this one; it runs the next that does.
    start_[k].wait(lock, [&] { return stopping_ || (generation_ != seen && k < job_threads_); });
    if (stopping_) return;
    seen = generation_;
    const Job job = job_;
    const void* const work = work_;
    lock.unlock();
    job(work, k);
    lock.lock();
    if (--running_ == 0) done_.notify_one();
  }
}

void Workers::RunJob(size_t n, Job job, const void* work) {
  if (n > size()) n = size();
  if (n > 1) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = job;
      work_ = work;
      job_threads_ = n;
      running_ = n - 1;
      ++generation_;
    }
    for (size_t k = 1; k < n; ++k) start_[k].notify_one();
  }
  job(work, 0);
  if (n > 1) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return running_ == 0; });
  }
}

}  // namespace cli
}  // namespace rwkvtok
