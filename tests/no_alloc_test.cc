// Proves that encoding, decoding and loading a blob never allocate: this binary replaces malloc,
// calloc, realloc and operator new with versions that count calls made while a flag is set.
// Sanitizers own the allocator, so under --config=asan or --config=tsan the test is skipped.

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/rwkvtok.h"
#include "tests/support.h"
#include "tests/test_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RWKVTOK_ALLOCATOR_REPLACED 0
#else
#define RWKVTOK_ALLOCATOR_REPLACED 1
#endif

namespace {
thread_local bool counting = false;
thread_local int allocations = 0;
}  // namespace

#if RWKVTOK_ALLOCATOR_REPLACED
extern "C" void* __libc_malloc(size_t size);
extern "C" void* __libc_calloc(size_t count, size_t size);
extern "C" void* __libc_realloc(void* pointer, size_t size);
extern "C" void* __libc_memalign(size_t alignment, size_t size);
extern "C" void __libc_free(void* pointer);

namespace {
void Count() {
  if (counting) ++allocations;
}
}  // namespace

extern "C" void* malloc(size_t size) {
  Count();
  return __libc_malloc(size);
}
extern "C" void* calloc(size_t count, size_t size) {
  Count();
  return __libc_calloc(count, size);
}
extern "C" void* realloc(void* pointer, size_t size) {
  Count();
  return __libc_realloc(pointer, size);
}
extern "C" void* aligned_alloc(size_t alignment, size_t size) {
  Count();
  return __libc_memalign(alignment, size);
}
extern "C" void free(void* pointer) { __libc_free(pointer); }
void* operator new(size_t size) {
  Count();
  void* pointer = __libc_malloc(size == 0 ? 1 : size);
  if (pointer == nullptr) std::abort();
  return pointer;
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* pointer) noexcept { __libc_free(pointer); }
void operator delete[](void* pointer) noexcept { __libc_free(pointer); }
void operator delete(void* pointer, size_t) noexcept { __libc_free(pointer); }
void operator delete[](void* pointer, size_t) noexcept { __libc_free(pointer); }
#endif

namespace rwkvtok {
namespace testing {
namespace {

// Runs `work` with counting on and returns how many allocations it made.
template <typename Work>
int AllocationsDuring(Work work) {
  allocations = 0;
  counting = true;
  work();
  counting = false;
  return allocations;
}

class NoAllocation : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RWKVTOK_ALLOCATOR_REPLACED) GTEST_SKIP() << "a sanitizer owns the allocator";
  }
};

// Kept in a volatile pointer: a compiler may drop an allocation whose memory is never used.
void* volatile kept;

TEST_F(NoAllocation, TheCounterWorks) {
  EXPECT_EQ(AllocationsDuring([] {
              kept = new int(1);
              delete static_cast<int*>(kept);
            }),
            1);
  EXPECT_EQ(AllocationsDuring([] {
              kept = malloc(16);
              free(kept);
            }),
            1);
  EXPECT_EQ(AllocationsDuring([] { std::string s(100, 'x'); }), 1);
}

TEST_F(NoAllocation, EncodeDecodeAndLoad) {
  std::string text = "Hello, world! 你好，世界。 //------- \xff\xfe\x00 tail ";
  for (int i = 0; i < 6; ++i) text += text;
  const Tokenizer world = Tokenizer::World();
  std::vector<uint16_t> ids16(text.size());
  std::vector<int32_t> ids32(text.size());
  std::vector<uint32_t> idsu(text.size());
  std::string bytes(text.size(), '\0');
  BlobFile blob = ReadWorldBlobFile();
  // Texts long enough for lanes of their own.
  const size_t ends[] = {text.size() / 4, text.size() / 2, text.size()};
  size_t counts[3];

  const int count = AllocationsDuring([&] {
    Result r = world.Encode(text.data(), text.size(), ids16.data(), ids16.size());
    EXPECT_TRUE(r.ok());
    r = world.Decode(ids16.data(), r.count, &bytes[0], bytes.size());
    EXPECT_TRUE(r.ok());
    r = world.Encode(text.data(), text.size(), ids32.data(), ids32.size());
    r = world.Decode(ids32.data(), r.count, &bytes[0], bytes.size());
    r = world.Encode(text.data(), text.size(), idsu.data(), idsu.size());
    r = world.Decode(idsu.data(), r.count, &bytes[0], bytes.size());
    r = world.Encode(text.data(), text.size(), idsu.data(), 0);  // too small
    r = world.Decode(idsu.data(), idsu.size(), &bytes[0], 1);    // too small or invalid
    Tokenizer loaded = world;
    EXPECT_EQ(Tokenizer::FromBlob(blob.bytes(), blob.size, &loaded), Status::kOk);
    r = loaded.Encode(text.data(), text.size(), idsu.data(), idsu.size());
    EXPECT_EQ(Validate(blob.bytes(), blob.size - 1), Status::kBlobTruncated);
    r = world.Count(text.data(), text.size());
    r = world.Prefix(text.data(), text.size(), 10);
    EXPECT_EQ(world.EncodeTexts(text.data(), ends, 3, idsu.data(), counts), Status::kOk);

    // Streaming, through the C++ and the C API.
    StreamEncoder encoder(world);
    r = encoder.Push(text.data(), 100, idsu.data(), idsu.size());
    r = encoder.Push(text.data() + 100, text.size() - 100, idsu.data(), idsu.size());
    r = encoder.Finish(idsu.data(), idsu.size());
    StreamDecoder decoder(world, Utf8Policy::kReplace);
    for (size_t k = 0; k < 50; ++k) r = decoder.Push(ids16[k], &bytes[0], bytes.size());
    r = decoder.Finish(&bytes[0], bytes.size());
    rwkvtok_tokenizer c;
    rwkvtok_world(&c);
    rwkvtok_decoder cdec;
    EXPECT_EQ(rwkvtok_decoder_init(&cdec, &c, RWKVTOK_UTF8_STRICT), RWKVTOK_OK);
    rwkvtok_result cr = rwkvtok_decoder_push(&cdec, 34, &bytes[0], bytes.size());
    rwkvtok_encoder cenc;
    EXPECT_EQ(rwkvtok_encoder_init(&cenc, &c), RWKVTOK_OK);
    cr = rwkvtok_encoder_push(&cenc, text.data(), text.size(), idsu.data(), idsu.size());
    cr = rwkvtok_encode(&c, text.data(), text.size(), idsu.data(), idsu.size());
    cr = rwkvtok_decode(&c, idsu.data(), cr.count, &bytes[0], bytes.size());
    (void)cr;
  });
  EXPECT_EQ(count, 0);
  EXPECT_EQ(std::string(bytes, 0, text.size()), text);
}

}  // namespace
}  // namespace testing
}  // namespace rwkvtok
