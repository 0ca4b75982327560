// Linked into a program (before the C and C++ libraries), makes its thread starts or its
// allocations fail on purpose, as a full process table or exhausted memory would, so that tests
// can provoke each fault deterministically, as root and under the sanitizers too (where ulimit
// does not bind, or breaks the sanitizer):
//   RWKVTOK_FAIL_THREAD=N  every pthread_create after the first N returns EAGAIN;
//   RWKVTOK_FAIL_ALLOC=N   every operator new after the first N fails (std::bad_alloc, or null
//                          for the nothrow forms).
// Unset, nothing fails. Calls are counted from the program's own start: the shared libraries'
// initialisation before it (the C++ runtime's) is no part of the program and cannot be handled
// by it. The real functions are the next definitions after this program's.

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

long Allowed(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? -1 : std::atol(value);
}

// Whether the next call of a kind must fail: more than `allowed` calls (allowed < 0: never).
bool Exhausted(std::atomic<long>* calls, long allowed) {
  return allowed >= 0 && calls->fetch_add(1) >= allowed;
}

std::atomic<long> g_thread_calls{0};
std::atomic<long> g_alloc_calls{0};
std::atomic<bool> g_armed{false};

// Runs after the shared libraries' initialisers, before the program's own.
__attribute__((constructor(101))) void Arm() { g_armed = true; }

long AllocationsAllowed() {
  static const long allowed = Allowed("RWKVTOK_FAIL_ALLOC");
  return allowed;
}

void* Allocate(std::size_t size) noexcept {
  if (g_armed && Exhausted(&g_alloc_calls, AllocationsAllowed())) return nullptr;
  return std::malloc(size == 0 ? 1 : size);
}

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  static const long allowed = Allowed("RWKVTOK_FAIL_THREAD");
  if (Exhausted(&g_thread_calls, allowed)) return EAGAIN;
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const Create real = reinterpret_cast<Create>(dlsym(RTLD_NEXT, "pthread_create"));
  return real(thread, attr, start, arg);
}

void* operator new(std::size_t size) {
  void* p = Allocate(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return Allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
