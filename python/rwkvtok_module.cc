// rwkvtok._rwkvtok: the Python API (python/rwkvtok/_rwkvtok.pyi documents it) over the library's
// public API. This file only moves Python objects to and from the library's buffers: every rule
// of tokenization is the library's. Calls on long inputs release the GIL.

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <rwkvtok.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "hwy/targets.h"
#include "python/str_convert.h"
#include "python/str_utf8.h"
#include "tools/binidx/dataset.h"
#include "tools/binidx/jsonl.h"
#include "tools/cli/error.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

// Inputs shorter than this are encoded or decoded with the GIL held: releasing and taking it back
// costs more than they do.
constexpr size_t kReleaseGilBytes = 16 * 1024;
// A batch is encoded in windows of about this many bytes of text per thread, so that its ids
// buffer stays bounded whatever the batch's size...
constexpr size_t kBatchWindowBytesPerThread = 1u << 20;
// ...and each window in chunks of about this many, which threads take in turn: enough texts for
// the vector lanes to take many in turn (EncodeTexts), few enough for the caches.
constexpr size_t kBatchChunkBytes = 512u << 10;
// The id space of the models that use World (ids 65530..65535 are reserved).
constexpr uint32_t kWorldVocabSize = 65536;

[[noreturn]] void Raise(PyObject* type, const char* format, ...) {
  va_list args;
  va_start(args, format);
  PyErr_FormatV(type, format, args);
  va_end(args);
  throw nb::python_error();
}

[[noreturn]] void RaiseStatus(rwkvtok::Status status) {
  Raise(PyExc_ValueError, "%s", rwkvtok::StatusMessage(status));
}

// --- Python ints for ids ----------------------------------------------------------------------

// One int object per id below 65536, made on first use: a list of ids then holds references to
// them instead of a new int per token, which is most of the cost of building the list.
PyObject* g_id_objects[kWorldVocabSize];

void MakeIdObjects() {
  for (uint32_t id = 0; id < kWorldVocabSize; ++id) {
    PyObject* object = PyLong_FromUnsignedLong(id);
    if (object == nullptr) {
      for (uint32_t j = 0; j < id; ++j) Py_CLEAR(g_id_objects[j]);
      throw nb::python_error();
    }
    g_id_objects[id] = object;
  }
}

template <typename Id>
nb::object MakeList(const Id* ids, size_t count) {
  if (g_id_objects[kWorldVocabSize - 1] == nullptr) MakeIdObjects();
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(count));
  if (list == nullptr) throw nb::python_error();
  for (size_t i = 0; i < count; ++i) {
    const uint32_t id = static_cast<uint32_t>(ids[i]);
    PyObject* object;
    if (id < kWorldVocabSize) {
      object = g_id_objects[id];
      Py_INCREF(object);
    } else if ((object = PyLong_FromUnsignedLong(id)) == nullptr) {
      Py_DECREF(list);
      throw nb::python_error();
    }
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), object);
  }
  return nb::steal(list);
}

// A buffer taken with PyObject_GetBuffer, released when this goes, also when a constructor that
// holds one throws.
class HeldBuffer {
 public:
  HeldBuffer() = default;
  HeldBuffer(HeldBuffer&& other) noexcept : view(other.view), held(other.held) {
    other.held = false;
  }
  HeldBuffer(const HeldBuffer&) = delete;
  HeldBuffer& operator=(const HeldBuffer&) = delete;
  HeldBuffer& operator=(HeldBuffer&&) = delete;
  ~HeldBuffer() { Release(); }

  // PyObject_GetBuffer: false, with the error set, when the object refuses.
  bool Get(PyObject* object, int flags) {
    Release();
    held = PyObject_GetBuffer(object, &view, flags) == 0;
    return held;
  }
  void Release() {
    if (held) PyBuffer_Release(&view);
    held = false;
  }

  Py_buffer view{};
  bool held = false;
};

// --- Memory kept between calls ----------------------------------------------------------------

// A thread's memory for one use, kept between calls (up to `limit` bytes) so that its pages stay
// mapped and need no zeroing: on the machines measured, the kernel's zeroing of fresh memory cost
// as much as decoding into it, and the C library hands out fresh memory for every block over
// 32 MB. Only the pages a call touched stay resident.
struct KeptMemory {
  const size_t limit;
  std::unique_ptr<char[]> bytes;
  size_t capacity = 0;
  bool in_use = false;  // held by a ByteBuffer
};
thread_local KeptMemory t_decoded_bytes{32u << 20};  // decoded ids
thread_local KeptMemory t_str_utf8{32u << 20};       // the UTF-8 of a str to encode
// The ids of a text to encode: room for one per byte, so texts up to 16 MB.
thread_local KeptMemory t_encoded_ids{64u << 20};

// `kept`'s memory when the size fits in it, else memory of its own. A call can start on a thread
// while another call there still holds `kept` (the garbage collector runs finalizers inside
// PyList_New and other allocations): its ByteBuffer then takes memory of its own.
class ByteBuffer {
 public:
  explicit ByteBuffer(KeptMemory& kept) : kept_(kept), holds_kept_(!kept.in_use) {
    if (holds_kept_) kept_.in_use = true;
  }
  ~ByteBuffer() {
    if (holds_kept_) kept_.in_use = false;
  }
  ByteBuffer(ByteBuffer&& other) noexcept
      : kept_(other.kept_), holds_kept_(other.holds_kept_), own_(std::move(other.own_)) {
    other.holds_kept_ = false;
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer& operator=(ByteBuffer&&) = delete;

  size_t limit() const { return kept_.limit; }
  char* Reserve(size_t size) {
    if (holds_kept_ && size <= kept_.capacity) return kept_.bytes.get();
    if (holds_kept_ && size <= kept_.limit) {
      kept_.bytes.reset(new char[size]);
      kept_.capacity = size;
      return kept_.bytes.get();
    }
    own_.reset(new char[size]);
    return own_.get();
  }

 private:
  KeptMemory& kept_;
  bool holds_kept_;
  std::unique_ptr<char[]> own_;
};

// --- Texts ------------------------------------------------------------------------------------

// The bytes of a text: the UTF-8 of a str (the str must outlive this) or the buffer of a
// bytes-like object of single bytes, held until this is destroyed. A str that is not ASCII is
// converted into this thread's kept memory (t_str_utf8), or into memory of its own while another
// TextBytes holds that; an ASCII str's own data is its UTF-8.
class TextBytes {
 public:
  TextBytes(nb::handle text, const char* function) {
    PyObject* object = text.ptr();
    if (PyUnicode_Check(object)) {
      is_str_ = true;
      if (ConvertStr(object)) return;
      Py_ssize_t size;
      data_ = PyUnicode_AsUTF8AndSize(object, &size);  // UnicodeEncodeError for lone surrogates
      if (data_ == nullptr) throw nb::python_error();
      size_ = static_cast<size_t>(size);
      return;
    }
    if (!PyObject_CheckBuffer(object)) {
      Raise(PyExc_TypeError, "%s() argument must be str or a bytes-like object, not '%.100s'",
            function, Py_TYPE(object)->tp_name);
    }
    if (!buffer_.Get(object, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)) {
      if (!PyErr_ExceptionMatches(PyExc_BufferError) && !PyErr_ExceptionMatches(PyExc_ValueError)) {
        throw nb::python_error();
      }
      // Refused as contiguous: if the object gives its buffer at all, say what is wrong with
      // it (items that are not bytes come first: copying those would not make them text); if
      // not (a released memoryview), its own error says why.
      nb::python_error refused;
      if (!buffer_.Get(object, PyBUF_FULL_RO)) {
        PyErr_Clear();
        throw refused;
      }
      RaiseIfNotText(function);
      buffer_.Release();
      Raise(PyExc_BufferError,
            "%s() needs the text's bytes in one contiguous run; '%.100s' has them apart (copy it "
            "with bytes())",
            function, Py_TYPE(object)->tp_name);
    }
    RaiseIfNotText(function);
    const Py_buffer& view = buffer_.view;
    data_ = static_cast<const char*>(view.buf);
    size_ = static_cast<size_t>(view.len);
  }
  TextBytes(TextBytes&& other) noexcept = default;
  TextBytes(const TextBytes&) = delete;
  TextBytes& operator=(const TextBytes&) = delete;
  TextBytes& operator=(TextBytes&&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  bool is_str() const { return is_str_; }

  // Whether a buffer is taken as text: one dimension of one-byte items.
  static bool IsText(const Py_buffer& view) { return view.itemsize == 1 && view.ndim == 1; }

 private:
  // Raises the TypeError for a held buffer that is not one-dimensional bytes.
  void RaiseIfNotText(const char* function) {
    const Py_buffer& view = buffer_.view;
    if (IsText(view)) return;
    const std::string format = view.format ? view.format : "B";
    const Py_ssize_t itemsize = view.itemsize;
    const int ndim = view.ndim;
    buffer_.Release();
    if (itemsize == 1) {
      Raise(PyExc_TypeError, "%s() takes one-dimensional text, not %d dimensions", function, ndim);
    }
    Raise(PyExc_TypeError,
          "%s() takes str or bytes; got a buffer of %zd-byte items (format '%s'), which are "
          "not bytes of text (decode() takes ids)",
          function, itemsize, format.c_str());
  }

  // The UTF-8 of a str that is not ASCII, into kept memory when it fits there; false for an ASCII
  // str, whose data CPython hands out as it is, and for a str with a lone surrogate, for which
  // CPython raises the UnicodeEncodeError str.encode would.
  bool ConvertStr(PyObject* str) {
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(str) != 0) throw nb::python_error();
#endif
    if (PyUnicode_IS_ASCII(str)) return false;
    const int kind = PyUnicode_KIND(str);
    const size_t length = static_cast<size_t>(PyUnicode_GET_LENGTH(str));
    const size_t most = rwkvtok_python::Utf8Capacity(kind, length);
    const size_t kept = std::min(most, utf8_.limit());
    uint8_t* out = reinterpret_cast<uint8_t*>(utf8_.Reserve(kept));
    size_t size = rwkvtok_python::UnitsToUtf8(PyUnicode_DATA(str), kind, length, out, kept);
    if (size == rwkvtok_python::kNeedsMore) {
      out = reinterpret_cast<uint8_t*>(utf8_.Reserve(most));
      size = rwkvtok_python::UnitsToUtf8(PyUnicode_DATA(str), kind, length, out, most);
    }
    if (size == rwkvtok_python::kSurrogate) return false;
    data_ = reinterpret_cast<const char*>(out);
    size_ = size;
    return true;
  }

  const char* data_ = nullptr;
  size_t size_ = 0;
  bool is_str_ = false;
  HeldBuffer buffer_;
  ByteBuffer utf8_{t_str_utf8};
};

// Whether `object` is one text of bytes (bytes, bytearray, a memoryview or array of single
// bytes) rather than a sequence of texts.
bool IsOneBytesText(PyObject* object) {
  if (PyBytes_Check(object) || PyByteArray_Check(object)) return true;
  if (!PyObject_CheckBuffer(object)) return false;
  HeldBuffer buffer;
  if (!buffer.Get(object, PyBUF_FULL_RO)) {
    PyErr_Clear();
    return false;
  }
  return TextBytes::IsText(buffer.view);
}

size_t NonNegativeSize(nb::handle value, const char* name) {
  PyObject* index = PyNumber_Index(value.ptr());
  if (index == nullptr) throw nb::python_error();
  const int negative = PyObject_RichCompareBool(index, nb::int_(0).ptr(), Py_LT);
  if (negative != 0) {
    Py_DECREF(index);
    if (negative < 0) throw nb::python_error();
    Raise(PyExc_ValueError, "%s must not be negative", name);
  }
  const size_t size = PyLong_AsSize_t(index);
  Py_DECREF(index);
  if (size == static_cast<size_t>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    return SIZE_MAX;  // more than any text holds
  }
  return size;
}

void CheckErrorHandler(nb::handle errors) {
  if (!PyUnicode_Check(errors.ptr())) {
    Raise(PyExc_TypeError, "errors must be a str, not '%.100s'", Py_TYPE(errors.ptr())->tp_name);
  }
  Py_ssize_t size;
  const char* name = PyUnicode_AsUTF8AndSize(errors.ptr(), &size);
  if (name == nullptr) throw nb::python_error();
  if (std::strlen(name) != static_cast<size_t>(size)) {
    Raise(PyExc_ValueError, "embedded null character");  // as bytes.decode says
  }
  PyObject* handler = PyCodec_LookupError(name);  // LookupError for an unknown one
  if (handler == nullptr) throw nb::python_error();
  Py_DECREF(handler);
}

// UTF-8 bytes to str with `errors`, exactly as bytes.decode('utf-8', errors).
nb::object DecodeUtf8(const char* bytes, size_t size, nb::handle errors) {
  if (PyObject* valid = rwkvtok_python::Utf8ToStr(bytes, size)) return nb::steal(valid);
  if (PyErr_Occurred()) throw nb::python_error();
  PyObject* text =
      PyUnicode_DecodeUTF8(bytes, static_cast<Py_ssize_t>(size), PyUnicode_AsUTF8(errors.ptr()));
  if (text == nullptr) throw nb::python_error();
  return nb::steal(text);
}

// --- Ids --------------------------------------------------------------------------------------

[[noreturn]] void RaiseInvalidId(const char* id_text, size_t position, uint32_t token_count) {
  Raise(PyExc_ValueError,
        "invalid token id %s at position %zu: not an id of this vocabulary "
        "(0 to %u)",
        id_text, position, token_count - 1);
}

// An int's decimal digits, as int itself writes them: a subclass's __str__ could raise or
// return anything. Python refuses to write out ints of thousands of digits.
std::string IntText(PyObject* integer) {
  nb::object text = nb::steal(PyLong_Type.tp_repr(integer));
  const char* utf8 = text.is_valid() ? PyUnicode_AsUTF8(text.ptr()) : nullptr;
  if (utf8 == nullptr) {
    PyErr_Clear();
    return "(an int too long to write out)";
  }
  return utf8;
}

[[noreturn]] void RaiseInvalidId(long long id, size_t position, uint32_t token_count) {
  RaiseInvalidId(std::to_string(id).c_str(), position, token_count);
}

template <typename T>
T Read(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

// The ids of a decode call as the library takes them: a contiguous buffer of 16- or 32-bit
// integers is read in place; anything else is copied into 32-bit ids, with a range check.
class Ids {
 public:
  // `exact_ints`: items of a sequence must be ints or bools (compat's fast path, whose reference
  // looks ids up in a dict, where other objects with __index__ need not match).
  Ids(nb::handle ids, uint32_t token_count, bool exact_ints = false)
      : token_count_(token_count), exact_ints_(exact_ints) {
    PyObject* object = ids.ptr();
    if (PyUnicode_Check(object) || PyBytes_Check(object) || PyByteArray_Check(object)) {
      Raise(PyExc_TypeError, "ids must be a sequence of ints, not '%.100s' (encode() takes text)",
            Py_TYPE(object)->tp_name);
    }
    if (PyObject_CheckBuffer(object) && FromBuffer(object)) return;
    FromSequence(object);
  }
  Ids(const Ids&) = delete;
  Ids& operator=(const Ids&) = delete;

  size_t size() const { return count_; }

  // Id `i`, widened (a negative int32 id becomes one above any vocabulary's).
  uint32_t At(size_t i) const {
    switch (kind_) {
      case Kind::kU16:
        return static_cast<const uint16_t*>(data_)[i];
      case Kind::kI32:
        return static_cast<uint32_t>(static_cast<const int32_t*>(data_)[i]);
      case Kind::kU32:
        break;
    }
    return static_cast<const uint32_t*>(data_)[i];
  }

  // Decodes into `out` (room for `capacity` bytes); raises for an invalid id.
  rwkvtok::Result Decode(const rwkvtok::Tokenizer& tok, char* out, size_t capacity) const {
    switch (kind_) {
      case Kind::kU16:
        return tok.Decode(static_cast<const uint16_t*>(data_), count_, out, capacity);
      case Kind::kI32:
        return tok.Decode(static_cast<const int32_t*>(data_), count_, out, capacity);
      case Kind::kU32:
        break;
    }
    return tok.Decode(static_cast<const uint32_t*>(data_), count_, out, capacity);
  }

  [[noreturn]] void RaiseInvalidAt(size_t position) const {
    switch (kind_) {
      case Kind::kU16:
        RaiseInvalidId(static_cast<const uint16_t*>(data_)[position], position, token_count_);
      case Kind::kI32:
        RaiseInvalidId(static_cast<const int32_t*>(data_)[position], position, token_count_);
      case Kind::kU32:
        break;
    }
    RaiseInvalidId(static_cast<const uint32_t*>(data_)[position], position, token_count_);
  }

 private:
  enum class Kind { kU16, kI32, kU32 };

  // Reads a one-dimensional buffer of native integers; false (nothing held) for other formats,
  // which are read as a sequence.
  bool FromBuffer(PyObject* object) {
    if (!buffer_.Get(object, PyBUF_STRIDES | PyBUF_FORMAT)) {
      PyErr_Clear();
      return false;
    }
    const Py_buffer& view = buffer_.view;
    const char* format = view.format ? view.format : "B";
    if (*format == '@' || *format == '=' || (*format == '<' && PY_LITTLE_ENDIAN)) ++format;
    const bool integer = format[0] != '\0' && format[1] == '\0' &&
                         std::strchr("bBhHiIlLqQnN?", format[0]) != nullptr;
    if (!integer || view.ndim != 1) {
      if (std::strchr("efd", format[0]) != nullptr && format[1] == '\0') {
        Raise(PyExc_TypeError, "ids must be integers, not a buffer of floats (format '%s')",
              view.format);
      }
      if (view.ndim > 1) {
        Raise(PyExc_ValueError, "ids must be one-dimensional, not of %d dimensions", view.ndim);
      }
      buffer_.Release();
      return false;
    }
    const bool is_signed = std::strchr("bhilqn", format[0]) != nullptr;
    const Py_ssize_t itemsize = view.itemsize;
    // Exporters may leave shape and strides null for a plain array of items (ctypes does).
    count_ = static_cast<size_t>(view.shape != nullptr ? view.shape[0] : view.len / itemsize);
    const Py_ssize_t stride = view.strides != nullptr ? view.strides[0] : itemsize;
    const bool aligned = reinterpret_cast<uintptr_t>(view.buf) % itemsize == 0;
    if (aligned && stride == itemsize && itemsize == 2 && !is_signed) {
      kind_ = Kind::kU16;
      data_ = view.buf;
      return true;
    }
    if (aligned && stride == itemsize && itemsize == 4) {
      kind_ = is_signed ? Kind::kI32 : Kind::kU32;
      data_ = view.buf;
      return true;
    }
    // Other widths, strides or alignments: copied, each item read with memcpy.
    uint32_t* copy = Allocate(count_);
    const char* items = static_cast<const char*>(view.buf);
    switch (itemsize) {
      case 1:
        return is_signed ? CopyItems<int8_t>(items, stride, copy)
                         : CopyItems<uint8_t>(items, stride, copy);
      case 2:
        return is_signed ? CopyItems<int16_t>(items, stride, copy)
                         : CopyItems<uint16_t>(items, stride, copy);
      case 4:
        return is_signed ? CopyItems<int32_t>(items, stride, copy)
                         : CopyItems<uint32_t>(items, stride, copy);
      default:
        return is_signed ? CopyItems<int64_t>(items, stride, copy)
                         : CopyItems<uint64_t>(items, stride, copy);
    }
  }

  // Copies the buffer's items of type T into `copy`, with a range check; releases the buffer.
  template <typename T>
  bool CopyItems(const char* item, Py_ssize_t stride, uint32_t* copy) {
    for (size_t i = 0; i < count_; ++i, item += stride) {
      const T value = Read<T>(item);
      bool negative = false;
      if constexpr (std::is_signed<T>::value) negative = value < 0;
      if (negative || static_cast<uint64_t>(value) > UINT32_MAX) {
        RaiseInvalidId(std::to_string(value).c_str(), i, token_count_);
      }
      copy[i] = static_cast<uint32_t>(value);
    }
    buffer_.Release();
    return true;
  }

  static constexpr uint32_t kNotSmall = UINT32_MAX;

  // The value of an exact int from 0 to 2^30 - 1, read from the object itself; else kNotSmall.
  static uint32_t SmallInt(PyObject* item) {
    if (!PyLong_CheckExact(item)) return kNotSmall;
#if PY_VERSION_HEX >= 0x030C0000
    PyLongObject* const number = reinterpret_cast<PyLongObject*>(item);
    if (!PyUnstable_Long_IsCompact(number)) return kNotSmall;
    const Py_ssize_t value = PyUnstable_Long_CompactValue(number);
    return value >= 0 && value < (Py_ssize_t{1} << 30) ? static_cast<uint32_t>(value) : kNotSmall;
#else
    const Py_ssize_t digits = Py_SIZE(item);
    if (digits == 0) return 0;
    if (digits != 1) return kNotSmall;
    return reinterpret_cast<PyLongObject*>(item)->ob_digit[0];
#endif
  }

  void FromSequence(PyObject* object) {
    nb::object sequence = nb::steal(PySequence_Fast(object, "ids must be a sequence of ints"));
    if (!sequence.is_valid()) {
      if (PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        Raise(PyExc_TypeError, "ids must be a sequence of ints, not '%.100s'",
              Py_TYPE(object)->tp_name);
      }
      throw nb::python_error();
    }
    count_ = static_cast<size_t>(PySequence_Fast_GET_SIZE(sequence.ptr()));
    uint32_t* copy = Allocate(count_);
    // First the run of small exact ints, as long as it lasts: no Python code runs in it, so the
    // sequence cannot change and its items are read straight from its array.
    PyObject* const* const items = PySequence_Fast_ITEMS(sequence.ptr());
    size_t i = 0;
    for (; i < count_; ++i) {
      // The int objects lie all over memory: ask for the one 32 items ahead now.
      if (i + 32 < count_) __builtin_prefetch(items[i + 32]);
      const uint32_t value = SmallInt(items[i]);
      if (value == kNotSmall) break;
      copy[i] = value;
    }
    for (; i < count_; ++i) {
      // The int objects lie all over memory: ask for the one 32 items ahead now.
      const Py_ssize_t ahead = static_cast<Py_ssize_t>(i) + 32;
      if (ahead < PySequence_Fast_GET_SIZE(sequence.ptr())) {
        __builtin_prefetch(PySequence_Fast_GET_ITEM(sequence.ptr(), ahead));
      }
      // Read afresh each time: an item's __index__ may change the list.
      PyObject* item = PySequence_Fast_GET_ITEM(sequence.ptr(), static_cast<Py_ssize_t>(i));
      const uint32_t small = SmallInt(item);
      if (small != kNotSmall) {
        copy[i] = small;
        continue;
      }
      if (exact_ints_ && !PyLong_CheckExact(item) && !PyBool_Check(item)) {
        Raise(PyExc_TypeError, "ids must be ints: position %zu holds a '%.100s'", i,
              Py_TYPE(item)->tp_name);
      }
      nb::object held = nb::borrow(item);  // alive while its __index__ runs
      nb::object index;
      if (!PyLong_Check(item)) {
        index = nb::steal(PyNumber_Index(item));
        if (!index.is_valid()) {
          if (!PyErr_ExceptionMatches(PyExc_TypeError)) throw nb::python_error();
          PyErr_Clear();
          Raise(PyExc_TypeError, "ids must be ints: position %zu holds a '%.100s'", i,
                Py_TYPE(item)->tp_name);
        }
        if (static_cast<size_t>(PySequence_Fast_GET_SIZE(sequence.ptr())) < count_) {
          Raise(PyExc_RuntimeError, "the ids changed size while they were read");
        }
        item = index.ptr();
      }
      int overflow = 0;
      const long long value = PyLong_AsLongLongAndOverflow(item, &overflow);
      if (overflow != 0) {
        RaiseInvalidId(IntText(item).c_str(), i, token_count_);
      }
      if (value == -1 && PyErr_Occurred()) throw nb::python_error();
      if (value < 0 || value > static_cast<long long>(UINT32_MAX)) {
        RaiseInvalidId(value, i, token_count_);
      }
      copy[i] = static_cast<uint32_t>(value);
    }
  }

  uint32_t* Allocate(size_t count) {
    copy_.reset(new uint32_t[count == 0 ? 1 : count]);
    kind_ = Kind::kU32;
    data_ = copy_.get();
    return copy_.get();
  }

  uint32_t token_count_;
  bool exact_ints_;
  Kind kind_ = Kind::kU32;
  const void* data_ = nullptr;
  size_t count_ = 0;
  std::unique_ptr<uint32_t[]> copy_;
  HeldBuffer buffer_;
};

// An id argument as a 32-bit value; a ValueError naming it and `position` when it is negative or
// too large for one (the library judges the rest).
uint32_t IdArgument(nb::handle id, size_t position, uint32_t token_count) {
  nb::object index = nb::steal(PyNumber_Index(id.ptr()));
  if (!index.is_valid()) throw nb::python_error();
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0 || value < 0 || value > static_cast<long long>(UINT32_MAX)) {
    RaiseInvalidId(IntText(index.ptr()).c_str(), position, token_count);
  }
  return static_cast<uint32_t>(value);
}

// --- Tokenizer --------------------------------------------------------------------------------

struct AlignedDelete {
  void operator()(uint8_t* p) const { ::operator delete (p, std::align_val_t{64}); }
};

size_t CpuCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<size_t>(count);
  }
  const unsigned count = std::thread::hardware_concurrency();
  return count > 0 ? count : 1;
}

class PyTokenizer;

class PyStreamDecoder {
 public:
  PyStreamDecoder(const PyTokenizer& owner, nb::handle errors, nb::handle stop_ids);
  nb::object Push(nb::handle id);
  nb::object Finish();
  bool stopped() const { return stopped_; }
  size_t pending() const { return decoder_.pending() + carry_length_; }

 private:
  static constexpr size_t kCarryRoom = 2;  // see carry_
  // Room for the bytes held back and one push's bytes.
  static constexpr size_t kPieceRoom = kCarryRoom + RWKVTOK_DECODER_MAX_OUTPUT;
  // Decodes the first `size` bytes of `piece` (the carried bytes, then the library's), except,
  // unless `final`, the bytes it carries on to the next piece.
  nb::object DecodePiece(char* piece, size_t size, bool final);

  // Keeps a blob from from_blob alive as long as the decoder.
  std::shared_ptr<const uint8_t> blob_;
  rwkvtok::Tokenizer tok_;
  // The library passes bytes that cannot be UTF-8 through as they are (kRaw) and holds back
  // unfinished characters; Python's decoder applies `errors` to them, as bytes.decode would.
  rwkvtok::StreamDecoder decoder_;
  nb::object errors_;
  bool stopped_ = false;
  // With "surrogatepass": ED A0..BF, which the library passes on as invalid, held back so that
  // Python's decoder sees them with the byte that follows, as one-shot decode does (ED A0 80 is
  // the form of the surrogate U+D800).
  bool surrogatepass_ = false;
  char carry_[kCarryRoom];
  size_t carry_length_ = 0;
};

class PyTokenizer {
 public:
  PyTokenizer(rwkvtok::Tokenizer tok, std::shared_ptr<const uint8_t> blob, size_t blob_size)
      : tok_(tok), blob_(std::move(blob)), blob_size_(blob_size) {}

  static PyTokenizer World() { return PyTokenizer(rwkvtok::Tokenizer::World(), nullptr, 0); }

  static PyTokenizer FromBlob(nb::handle data) {
    Py_buffer view;
    if (PyObject_GetBuffer(data.ptr(), &view, PyBUF_C_CONTIGUOUS) != 0) throw nb::python_error();
    const size_t size = static_cast<size_t>(view.len);
    // A copy: the tokenizer views it, so it must neither move nor change, and must be aligned.
    std::shared_ptr<uint8_t> copy(
        static_cast<uint8_t*>(::operator new (size == 0 ? 1 : size, std::align_val_t{64})),
        AlignedDelete());
    if (size != 0) std::memcpy(copy.get(), view.buf, size);
    PyBuffer_Release(&view);
    rwkvtok::Tokenizer tok = rwkvtok::Tokenizer::World();
    rwkvtok::Status status;
    {
      nb::gil_scoped_release release;
      status = rwkvtok::Tokenizer::FromBlob(copy.get(), size, &tok);
    }
    if (status != rwkvtok::Status::kOk) {
      Raise(PyExc_ValueError, "not a valid rwkvtok blob: %s", rwkvtok::StatusMessage(status));
    }
    return PyTokenizer(tok, std::move(copy), size);
  }

  const rwkvtok::Tokenizer& tok() const { return tok_; }
  const std::shared_ptr<const uint8_t>& blob() const { return blob_; }
  bool is_world() const {
    return tok_.vocab_checksum() == rwkvtok::Tokenizer::World().vocab_checksum();
  }

  nb::object Encode(nb::handle text) const {
    TextBytes in(text, "encode");
    ByteBuffer scratch(t_encoded_ids);
    const auto ids = EncodeToScratch(in, &scratch);
    return MakeList(ids.first, ids.second);
  }

  nb::object EncodeNumpy(nb::handle text, nb::handle dtype) const {
    nb::module_ numpy = ImportNumpy("encode_numpy");
    nb::object type = numpy.attr("dtype")(dtype.is_none() ? numpy.attr("uint16") : dtype);
    const std::string kind = nb::cast<std::string>(type.attr("kind"));
    const size_t itemsize = nb::cast<size_t>(type.attr("itemsize"));
    const bool native = nb::cast<bool>(type.attr("isnative"));
    const bool u16 = kind == "u" && itemsize == 2;
    if (!native || !(u16 || ((kind == "u" || kind == "i") && itemsize == 4))) {
      nb::object name = nb::steal(PyObject_Str(type.ptr()));
      Raise(PyExc_ValueError, "encode_numpy() dtype must be uint16, int32 or uint32, not %S",
            name.ptr());
    }
    TextBytes in(text, "encode_numpy");
    ByteBuffer scratch(t_encoded_ids);
    const auto encoded = EncodeToScratch(in, &scratch);
    const uint32_t* ids = encoded.first;
    const size_t count = encoded.second;
    // The ids are copied into an array of their own size: a small block, which the C library
    // takes from memory it already has.
    nb::object array = numpy.attr("empty")(count, type);
    Py_buffer view;
    if (PyObject_GetBuffer(array.ptr(), &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0) {
      throw nb::python_error();
    }
    {
      GilRelease release(count * 4);
      if (u16) {
        uint16_t* narrow = static_cast<uint16_t*>(view.buf);
        for (size_t i = 0; i < count; ++i) narrow[i] = static_cast<uint16_t>(ids[i]);
      } else if (count != 0) {
        std::memcpy(view.buf, ids, count * 4);  // int32 and uint32 have the same bits for ids
      }
    }
    PyBuffer_Release(&view);
    return array;
  }

  nb::object EncodeBatch(nb::handle texts, nb::handle num_threads) const {
    if (PyUnicode_Check(texts.ptr()) || IsOneBytesText(texts.ptr())) {
      Raise(PyExc_TypeError,
            "encode_batch() takes a sequence of texts, not one '%.100s' (encode() takes one)",
            Py_TYPE(texts.ptr())->tp_name);
    }
    size_t threads = CpuCount();
    if (!num_threads.is_none()) {
      threads = NonNegativeSize(num_threads, "num_threads");
      if (threads == 0) Raise(PyExc_ValueError, "num_threads must be at least 1");
    }
    nb::object sequence =
        nb::steal(PySequence_Fast(texts.ptr(), "encode_batch() takes a sequence of texts"));
    if (!sequence.is_valid()) throw nb::python_error();
    const size_t count = static_cast<size_t>(PySequence_Fast_GET_SIZE(sequence.ptr()));
    // Own references: another thread may change the list while the GIL is released.
    std::vector<nb::object> items;
    items.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      items.push_back(nb::borrow(PySequence_Fast_GET_ITEM(sequence.ptr(), i)));
    }
    sequence.reset();

    PyObject* result = PyList_New(static_cast<Py_ssize_t>(count));
    if (result == nullptr) throw nb::python_error();
    nb::object result_owner = nb::steal(result);
    // Each window's texts are taken in order, as encode() would take them one by one (so the
    // first bad text raises), and a str's UTF-8 lasts only as long as its window.
    std::vector<TextBytes> inputs;
    std::vector<uint32_t> ids;
    std::vector<size_t> offsets, counts;
    const size_t window_bytes = kBatchWindowBytesPerThread * std::min<size_t>(threads, 16);
    for (size_t first = 0; first < count;) {
      // A window of texts: at least one, and texts until about kBatchWindowBytesPerThread per
      // thread.
      size_t last = first, bytes = 0;
      inputs.clear();
      offsets.clear();
      do {
        inputs.emplace_back(items[last], "encode_batch");
        offsets.push_back(bytes);
        bytes += inputs.back().size();
        ++last;
      } while (last < count && bytes < window_bytes);
      ids.resize(std::max<size_t>(bytes, 1));
      counts.assign(last - first, 0);
      bool encoded;
      {
        GilRelease release(bytes);
        encoded = EncodeWindow(inputs.data(), last - first, offsets.data(), ids.data(),
                               counts.data(), threads);
      }
      if (!encoded) throw std::bad_alloc();
      // The lists are made with the cyclic garbage collector paused (it would otherwise walk the
      // new lists again and again as they are made, and none can be part of a cycle), and with
      // the GIL held throughout, so that no other thread sees the pause.
      GcPause pause;
      for (size_t i = first; i < last; ++i) {
        nb::object list = MakeList(ids.data() + offsets[i - first], counts[i - first]);
        PyList_SET_ITEM(result, static_cast<Py_ssize_t>(i), list.release().ptr());
      }
      first = last;
    }
    return result_owner;
  }

  // For rwkvtok.compat: as DecodeBytes, but a sequence's items must be ints or bools.
  nb::object DecodeBytesOfInts(nb::handle ids) const {
    ByteBuffer buffer(t_decoded_bytes);
    const auto bytes = DecodeToBuffer(ids, &buffer, /*exact_ints=*/true);
    PyObject* result =
        PyBytes_FromStringAndSize(bytes.first, static_cast<Py_ssize_t>(bytes.second));
    if (result == nullptr) throw nb::python_error();
    return nb::steal(result);
  }

  nb::object DecodeBytes(nb::handle ids) const {
    ByteBuffer buffer(t_decoded_bytes);
    const auto bytes = DecodeToBuffer(ids, &buffer);
    PyObject* result =
        PyBytes_FromStringAndSize(bytes.first, static_cast<Py_ssize_t>(bytes.second));
    if (result == nullptr) throw nb::python_error();
    return nb::steal(result);
  }

  nb::object Decode(nb::handle ids, nb::handle errors) const {
    CheckErrorHandler(errors);
    ByteBuffer buffer(t_decoded_bytes);
    const auto bytes = DecodeToBuffer(ids, &buffer);
    return DecodeUtf8(bytes.first, bytes.second, errors);
  }

  size_t Count(nb::handle text) const {
    TextBytes in(text, "count");
    rwkvtok::Result r;
    {
      GilRelease release(in.size());
      r = tok_.Count(in.data(), in.size());
    }
    if (!r.ok()) RaiseStatus(r.status);
    return r.count;
  }

  nb::object Truncate(nb::handle text, nb::handle max_tokens) const {
    const size_t budget = NonNegativeSize(max_tokens, "max_tokens");
    TextBytes in(text, "truncate");
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(in.data());
    size_t length;
    {
      GilRelease release(in.size());
      length = PrefixLength(bytes, in.size(), budget, in.is_str());
    }
    if (in.is_str()) {
      // Characters before the cut: the bytes that do not continue a character.
      size_t characters = 0;
      for (size_t i = 0; i < length; ++i) characters += (bytes[i] & 0xC0) != 0x80;
      return nb::steal(PyUnicode_Substring(text.ptr(), 0, static_cast<Py_ssize_t>(characters)));
    }
    nb::object slice = nb::steal(PySlice_New(nullptr, nb::int_(length).ptr(), nullptr));
    return nb::steal(PyObject_GetItem(text.ptr(), slice.ptr()));
  }

  nb::object TokenBytes(nb::handle id) const {
    const uint32_t value = IdArgument(id, 0, tok_.token_count());
    char out[256];
    const rwkvtok::Result r = tok_.Decode(&value, 1, out, sizeof out);
    if (r.status == rwkvtok::Status::kInvalidId) RaiseInvalidId(value, 0, tok_.token_count());
    if (!r.ok()) RaiseStatus(r.status);
    return nb::steal(PyBytes_FromStringAndSize(out, static_cast<Py_ssize_t>(r.count)));
  }

  uint32_t n_vocab() const { return is_world() ? kWorldVocabSize : tok_.token_count(); }

  nb::object Reduce() const {
    // Functions of the extension cannot be pickled by name; rwkvtok._unpickle is Python's.
    nb::object unpickle = nb::module_::import_("rwkvtok").attr("_unpickle");
    if (blob_ == nullptr) return nb::make_tuple(unpickle, nb::make_tuple(nb::none()));
    nb::object data = nb::steal(PyBytes_FromStringAndSize(
        reinterpret_cast<const char*>(blob_.get()), static_cast<Py_ssize_t>(blob_size_)));
    if (!data.is_valid()) throw nb::python_error();
    return nb::make_tuple(unpickle, nb::make_tuple(data));
  }

 private:
  class GcPause {
   public:
#if PY_VERSION_HEX >= 0x030A0000
    GcPause() : was_enabled_(PyGC_Disable()) {}
    ~GcPause() {
      if (was_enabled_ == 1) PyGC_Enable();
    }

   private:
    int was_enabled_;
#endif
  };

  // Releases the GIL for inputs long enough to pay for it.
  class GilRelease {
   public:
    explicit GilRelease(size_t bytes) {
      if (bytes >= kReleaseGilBytes) state_ = PyEval_SaveThread();
    }
    ~GilRelease() {
      if (state_ != nullptr) PyEval_RestoreThread(state_);
    }

   private:
    PyThreadState* state_ = nullptr;
  };

  static nb::module_ ImportNumpy(const char* function) {
    PyObject* numpy = PyImport_ImportModule("numpy");
    if (numpy == nullptr) {
      PyErr_Clear();
      Raise(PyExc_ImportError,
            "%s() needs numpy, which is not installed: pip install numpy (the other functions of "
            "rwkvtok do not need it)",
            function);
    }
    return nb::steal<nb::module_>(numpy);
  }

  // Encodes `in` into `scratch` (room for one id per byte, as the vector lanes need): the ids and
  // their count.
  std::pair<const uint32_t*, size_t> EncodeToScratch(const TextBytes& in,
                                                     ByteBuffer* scratch) const {
    const size_t capacity = std::max<size_t>(in.size(), 1);
    uint32_t* ids = reinterpret_cast<uint32_t*>(scratch->Reserve(capacity * sizeof(uint32_t)));
    rwkvtok::Result r;
    {
      GilRelease release(in.size());
      r = tok_.Encode(in.data(), in.size(), ids, capacity);
    }
    if (!r.ok()) RaiseStatus(r.status);
    return {ids, r.count};
  }

  // Encodes the window's texts on `threads` threads, in chunks of about kBatchChunkBytes that the
  // threads take in turn: a chunk's texts are laid end to end, as their ids are in `ids`, and
  // encoded at once (EncodeTexts: a text per vector lane). A chunk of one text is encoded where it
  // is. False if memory ran out for a chunk's copy (the ids are then incomplete).
  bool EncodeWindow(const TextBytes* inputs, size_t count, const size_t* offsets, uint32_t* ids,
                    size_t* counts, size_t threads) const {
    std::vector<size_t> chunk_starts;  // chunk k is texts [chunk_starts[k], chunk_starts[k + 1])
    for (size_t i = 0; i < count;) {
      chunk_starts.push_back(i);
      const size_t first = i;
      do ++i;
      while (i < count && offsets[i] - offsets[first] + inputs[i].size() <= kBatchChunkBytes);
    }
    const size_t chunks = chunk_starts.size();
    chunk_starts.push_back(count);
    std::atomic<size_t> next{0};
    std::atomic<bool> out_of_memory{false};
    // Runs on std::threads: nothing may leave it by an exception.
    auto work = [&]() noexcept {
      std::string texts;
      std::vector<size_t> ends;
      for (size_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
        const size_t first = chunk_starts[k], last = chunk_starts[k + 1];
        // Never fails: every pointer is valid and there is room for one id per byte.
        if (last - first == 1) {
          const size_t size = inputs[first].size();
          counts[first] = tok_.Encode(inputs[first].data(), size, ids + offsets[first], size).count;
          continue;
        }
        try {
          texts.clear();
          ends.clear();
          for (size_t i = first; i < last; ++i) {
            texts.append(inputs[i].data(), inputs[i].size());
            ends.push_back(texts.size());
          }
        } catch (const std::bad_alloc&) {
          out_of_memory = true;
          return;
        }
        (void)tok_.EncodeTexts(texts.data(), ends.data(), ends.size(), ids + offsets[first],
                               counts + first);
      }
    };
    std::vector<std::thread> workers;
    const size_t wanted = std::min(threads, chunks);
    workers.reserve(wanted);  // before any thread runs: growing it later could throw
    for (size_t t = 1; t < wanted; ++t) {
      try {
        workers.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // fewer threads: the calling one does the rest
      } catch (const std::bad_alloc&) {
        break;
      }
    }
    work();
    for (std::thread& worker : workers) worker.join();
    return !out_of_memory;
  }

  // Decodes `ids_object` into `buffer`; returns the bytes, valid until `buffer` is used again.
  std::pair<const char*, size_t> DecodeToBuffer(nb::handle ids_object, ByteBuffer* buffer,
                                                bool exact_ints = false) const {
    Ids ids(ids_object, tok_.token_count(), exact_ints);
    // Most tokens are a few bytes long: a first guess, then the exact size when it is short.
    size_t capacity = std::max<size_t>(ids.size() * 8, 64);
    char* out = buffer->Reserve(capacity);
    rwkvtok::Result r;
    {
      GilRelease release(ids.size() * 4);
      r = ids.Decode(tok_, out, capacity);
      if (r.status == rwkvtok::Status::kBufferTooSmall) {
        capacity = r.count;
        out = buffer->Reserve(capacity);
        r = ids.Decode(tok_, out, capacity);
      }
    }
    if (r.status == rwkvtok::Status::kInvalidId) ids.RaiseInvalidAt(r.position);
    if (!r.ok()) RaiseStatus(r.status);
    return {out, r.count};
  }

  // The longest prefix that encodes to at most `budget` tokens (rwkvtok's Prefix) and, for
  // `whole_characters`, ends on a character boundary: cut short there, the prefix is encoded
  // afresh, until one ends on a boundary.
  size_t PrefixLength(const uint8_t* bytes, size_t size, size_t budget,
                      bool whole_characters) const {
    size_t length = tok_.Prefix(bytes, size, budget).count;
    while (whole_characters && length < size && (bytes[length] & 0xC0) == 0x80) {
      size_t boundary = length - 1;
      while (boundary > 0 && (bytes[boundary] & 0xC0) == 0x80) --boundary;
      length = tok_.Prefix(bytes, boundary, budget).count;
    }
    return length;
  }

  rwkvtok::Tokenizer tok_;
  std::shared_ptr<const uint8_t> blob_;
  size_t blob_size_ = 0;
};

PyStreamDecoder::PyStreamDecoder(const PyTokenizer& owner, nb::handle errors, nb::handle stop_ids)
    : blob_(owner.blob()),
      tok_(owner.tok()),
      decoder_(owner.tok(), rwkvtok::Utf8Policy::kRaw),
      errors_(nb::borrow(errors)) {
  CheckErrorHandler(errors);
  surrogatepass_ = std::strcmp(PyUnicode_AsUTF8(errors.ptr()), "surrogatepass") == 0;
  // A tuple of its own: reading an id may run code that changes the caller's list.
  nb::object sequence = nb::steal(PySequence_Tuple(stop_ids.ptr()));
  if (!sequence.is_valid()) throw nb::python_error();
  const size_t count = static_cast<size_t>(PySequence_Fast_GET_SIZE(sequence.ptr()));
  if (count > rwkvtok::StreamDecoder::kMaxStopIds) {
    Raise(PyExc_ValueError, "at most %zu stop ids, not %zu",
          static_cast<size_t>(rwkvtok::StreamDecoder::kMaxStopIds), count);
  }
  uint32_t ids[rwkvtok::StreamDecoder::kMaxStopIds];
  for (size_t i = 0; i < count; ++i) {
    ids[i] = IdArgument(PySequence_Fast_GET_ITEM(sequence.ptr(), i), i, tok_.token_count());
  }
  if (decoder_.SetStopIds(ids, count) != rwkvtok::Status::kOk) RaiseStatus(decoder_.status());
}

nb::object PyStreamDecoder::Push(nb::handle id) {
  const uint32_t value = IdArgument(id, 0, tok_.token_count());
  char piece[kPieceRoom];
  const rwkvtok::Result r = decoder_.Push(value, piece + carry_length_, RWKVTOK_DECODER_MAX_OUTPUT);
  if (r.status == rwkvtok::Status::kInvalidId) RaiseInvalidId(value, 0, tok_.token_count());
  if (r.status != rwkvtok::Status::kOk && r.status != rwkvtok::Status::kStopped) {
    RaiseStatus(r.status);
  }
  stopped_ = r.status == rwkvtok::Status::kStopped;
  return DecodePiece(piece, carry_length_ + r.count, stopped_);
}

nb::object PyStreamDecoder::Finish() {
  char piece[kPieceRoom];
  const rwkvtok::Result r = decoder_.Finish(piece + carry_length_, RWKVTOK_DECODER_MAX_OUTPUT);
  if (!r.ok()) RaiseStatus(r.status);
  return DecodePiece(piece, carry_length_ + r.count, /*final=*/true);
}

nb::object PyStreamDecoder::DecodePiece(char* piece, size_t size, bool final) {
  std::memcpy(piece, carry_, carry_length_);
  // ED and A0..BF, with nothing held back after them: the next byte may make them the form of a
  // surrogate, which surrogatepass decodes whole. (Other handlers take invalid bytes one maximal
  // subpart at a time, as the library passes them on.)
  const bool carry = !final && surrogatepass_ && decoder_.pending() == 0 && size >= 2 &&
                     static_cast<uint8_t>(piece[size - 2]) == 0xED &&
                     (static_cast<uint8_t>(piece[size - 1]) & 0xE0) == 0xA0;
  carry_length_ = carry ? 2 : 0;
  std::memcpy(carry_, piece + size - carry_length_, carry_length_);
  return DecodeUtf8(piece, size - carry_length_, errors_);
}

}  // namespace

// --- binidx datasets (tools/binidx, the code behind `rwkvtok binidx`) --------------------------

// A message or a file's name as one line of text, as the command shows it (cli::OneLine), with
// bytes that are not UTF-8 (a file name may have them) as \xNN.
nb::str OneLineText(const std::string& bytes) {
  const std::string line = rwkvtok::cli::OneLine(bytes);
  return nb::steal<nb::str>(
      PyUnicode_DecodeUTF8(line.data(), static_cast<Py_ssize_t>(line.size()), "backslashreplace"));
}

class PyBinidxWriter {
 public:
  explicit PyBinidxWriter(const std::string& prefix)
      : writer_(new rwkvtok::binidx::Writer(prefix)) {}

  // A document: the text's ids and the end-of-document id 0.
  void Add(nb::handle text) {
    Open();
    TextBytes in(text, "add");
    ByteBuffer scratch(t_encoded_ids);
    const size_t capacity = std::max<size_t>(in.size(), 1);
    uint32_t* ids = reinterpret_cast<uint32_t*>(scratch.Reserve(capacity * sizeof(uint32_t)));
    rwkvtok::Result r;
    if (in.size() >= kReleaseGilBytes) {
      nb::gil_scoped_release release;
      r = tok_.Encode(in.data(), in.size(), ids, capacity);
    } else {
      r = tok_.Encode(in.data(), in.size(), ids, capacity);
    }
    if (!r.ok()) RaiseStatus(r.status);
    Write([&](rwkvtok::binidx::Writer& writer) {
      writer.Append(ids, r.count);
      writer.EndDocument();
    });
  }

  // A document of ids already made (without the final 0, which is added).
  void AddIds(nb::handle ids_object) {
    Open();
    Ids ids(ids_object, tok_.token_count());
    std::vector<uint32_t> copy(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      copy[i] = ids.At(i);
      if (copy[i] >= tok_.token_count()) ids.RaiseInvalidAt(i);
      if (copy[i] == 0) {
        Raise(PyExc_ValueError,
              "id 0 at position %zu: it ends documents, and add_ids() adds it after the ids", i);
      }
    }
    Write([&](rwkvtok::binidx::Writer& writer) {
      writer.Append(copy.data(), copy.size());
      writer.EndDocument();
    });
  }

  nb::tuple Close() {
    rwkvtok::binidx::Counts counts;
    Write([&](rwkvtok::binidx::Writer& writer) { counts = writer.Commit(); });
    writer_.reset();
    return nb::make_tuple(counts.documents, counts.tokens);
  }

  void Abort() { writer_.reset(); }  // the temporary files go with it

  bool closed() const { return writer_ == nullptr; }

 private:
  void Open() const {
    if (writer_ != nullptr) return;
    Raise(PyExc_ValueError,
          ended_by_error_ ? "the dataset is closed: an error ended it" : "the dataset is closed");
  }

  // Runs `write` on the writer, if it is still open: Python code that ran since the call began
  // (another thread while the GIL was released, an __index__) may have closed it. An error ends
  // the dataset, temporary files and all: what it left half-written must never be committed.
  template <typename F>
  void Write(const F& write) {
    Open();
    try {
      write(*writer_);
    } catch (...) {
      writer_.reset();
      ended_by_error_ = true;
      throw;
    }
  }

  std::unique_ptr<rwkvtok::binidx::Writer> writer_;
  bool ended_by_error_ = false;
  rwkvtok::Tokenizer tok_ = rwkvtok::Tokenizer::World();
};

class PyBinidxReader {
 public:
  explicit PyBinidxReader(const std::string& prefix)
      : reader_(new rwkvtok::binidx::Reader(prefix)),
        counts_(reader_->counts()),
        dtype_code_(reader_->dtype_code()) {}
  nb::object Document(uint64_t index) {
    if (reader_ == nullptr) Raise(PyExc_ValueError, "the dataset is closed");
    if (index >= counts_.documents)
      Raise(PyExc_IndexError, "no document %llu", static_cast<unsigned long long>(index));
    // Taken out of ids_ while in use: making the list can run a finalizer that reads another
    // document from this reader.
    std::vector<uint32_t> ids;
    ids.swap(ids_);
    reader_->Document(index, &ids);
    nb::object list = MakeList(ids.data(), ids.size());
    ids_.swap(ids);
    return list;
  }
  uint64_t documents() const { return counts_.documents; }
  uint64_t tokens() const { return counts_.tokens; }
  std::string dtype() const {
    return dtype_code_ == rwkvtok::binidx::kUint16Code ? "uint16" : "int32";
  }
  void Close() { reader_.reset(); }  // its files
  bool closed() const { return reader_ == nullptr; }

 private:
  std::unique_ptr<rwkvtok::binidx::Reader> reader_;
  rwkvtok::binidx::Counts counts_;
  uint8_t dtype_code_;
  std::vector<uint32_t> ids_;
};

NB_MODULE(_rwkvtok, m) {
  m.attr("__version__") = RWKVTOK_VERSION_STRING;
  m.attr("ABI_VERSION") = RWKVTOK_ABI_VERSION;

  nb::class_<PyTokenizer>(m, "Tokenizer")
      .def_static("from_blob", &PyTokenizer::FromBlob, "blob"_a)
      .def("encode", &PyTokenizer::Encode, "text"_a)
      .def("encode_numpy", &PyTokenizer::EncodeNumpy, "text"_a, "dtype"_a = nb::none())
      .def("encode_batch", &PyTokenizer::EncodeBatch, "texts"_a, "num_threads"_a = nb::none())
      .def("decode", &PyTokenizer::Decode, "ids"_a, "errors"_a = "replace")
      .def("decode_bytes", &PyTokenizer::DecodeBytes, "ids"_a)
      .def("_decode_bytes_of_ints", &PyTokenizer::DecodeBytesOfInts, "ids"_a)
      .def("count", &PyTokenizer::Count, "text"_a)
      .def("truncate", &PyTokenizer::Truncate, "text"_a, "max_tokens"_a)
      .def("token_bytes", &PyTokenizer::TokenBytes, "id"_a)
      .def(
          "stream_decoder",
          [](const PyTokenizer& self, nb::handle errors, nb::handle stop_ids) {
            return new PyStreamDecoder(self, errors, stop_ids);
          },
          "errors"_a = "replace", "stop_ids"_a = nb::make_tuple(0), nb::rv_policy::take_ownership)
      .def_prop_ro("n_vocab", &PyTokenizer::n_vocab)
      .def_prop_ro("eot_token", [](const PyTokenizer&) { return 0; })
      .def_prop_ro("max_token_length",
                   [](const PyTokenizer& self) { return self.tok().max_token_length(); })
      .def_prop_ro("token_count", [](const PyTokenizer& self) { return self.tok().token_count(); })
      .def_prop_ro("vocab_checksum",
                   [](const PyTokenizer& self) { return self.tok().vocab_checksum(); })
      .def("__reduce__", &PyTokenizer::Reduce)
      .def("__repr__", [](const PyTokenizer& self) {
        return std::string("<rwkvtok.Tokenizer ") + (self.is_world() ? "World" : "from_blob") +
               ", " + std::to_string(self.tok().token_count()) + " ids>";
      });

  nb::class_<PyStreamDecoder>(m, "StreamDecoder")
      .def("push", &PyStreamDecoder::Push, "id"_a)
      .def("finish", &PyStreamDecoder::Finish)
      .def_prop_ro("stopped", &PyStreamDecoder::stopped)
      .def_prop_ro("pending", &PyStreamDecoder::pending);

  // For benchmarks/python_bench.py: the seconds of the fastest of `repeats` calls of the C++
  // Encode on `text` (32-bit ids, room for all, as BM_Encode), timed in this module's build.
  m.def("_time_encode", [](nb::handle text, size_t repeats) {
    TextBytes in(text, "_time_encode");
    std::vector<uint32_t> ids(std::max<size_t>(in.size(), 1));
    const rwkvtok::Tokenizer tok = rwkvtok::Tokenizer::World();
    double best = 1e300;
    nb::gil_scoped_release release;
    for (size_t i = 0; i < repeats; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const rwkvtok::Result r = tok.Encode(in.data(), in.size(), ids.data(), ids.size());
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      if (r.ok()) best = std::min(best, took.count());
    }
    return best;
  });
  // For tests: the targets of the str conversions, by name, and running on one of them (None: the
  // best again).
  m.def("_str_targets", []() {
    nb::list names;
    for (int64_t target : rwkvtok_python::TargetsForTest()) {
      names.append(nb::str(hwy::TargetName(target)));
    }
    return names;
  });
  m.def(
      "_use_str_target",
      [](nb::handle name) {
        rwkvtok_python::UseTargetForTest(0);  // all targets again, to look among them
        int64_t chosen = 0;
        if (!name.is_none()) {
          const std::string wanted = nb::cast<std::string>(name);
          for (int64_t target : rwkvtok_python::TargetsForTest()) {
            if (wanted == hwy::TargetName(target)) chosen = target;
          }
          if (chosen == 0) Raise(PyExc_ValueError, "no str target %s here", wanted.c_str());
        }
        rwkvtok_python::UseTargetForTest(chosen);
        return nb::str(rwkvtok_python::ConvertTarget());
      },
      "name"_a.none());
  m.def("World", &PyTokenizer::World);

  nb::object binidx_error =
      nb::steal(PyErr_NewException("rwkvtok._rwkvtok.BinidxError", PyExc_ValueError, nullptr));
  m.attr("BinidxError") = binidx_error;  // which keeps it alive for the translator
  nb::register_exception_translator(
      [](const std::exception_ptr& error, void* type) {
        try {
          std::rethrow_exception(error);
        } catch (const rwkvtok::cli::Error& e) {
          PyErr_SetObject(static_cast<PyObject*>(type), OneLineText(e.what()).ptr());
        }
      },
      binidx_error.ptr());
  m.def("_one_line",
        [](nb::bytes text) { return OneLineText(std::string(text.c_str(), text.size())); });
  // Paths come as bytes (os.fsencode), which any file name is.
  const auto path = [](nb::bytes bytes) { return std::string(bytes.c_str(), bytes.size()); };
  nb::class_<PyBinidxWriter>(m, "_BinidxWriter")
      .def(
          "__init__",
          [path](PyBinidxWriter* self, nb::bytes prefix) {
            new (self) PyBinidxWriter(path(prefix));
          },
          "prefix"_a)
      .def("add", &PyBinidxWriter::Add, "text"_a)
      .def("add_ids", &PyBinidxWriter::AddIds, "ids"_a)
      .def("close", &PyBinidxWriter::Close)
      .def("abort", &PyBinidxWriter::Abort)
      .def_prop_ro("closed", &PyBinidxWriter::closed);
  nb::class_<PyBinidxReader>(m, "_BinidxReader")
      .def(
          "__init__",
          [path](PyBinidxReader* self, nb::bytes prefix) {
            new (self) PyBinidxReader(path(prefix));
          },
          "prefix"_a)
      .def("document", &PyBinidxReader::Document, "index"_a)
      .def_prop_ro("documents", &PyBinidxReader::documents)
      .def_prop_ro("tokens", &PyBinidxReader::tokens)
      .def_prop_ro("dtype", &PyBinidxReader::dtype)
      .def("close", &PyBinidxReader::Close)
      .def_prop_ro("closed", &PyBinidxReader::closed);
  m.def("_binidx_merge", [path](nb::bytes prefix_bytes, const std::vector<nb::bytes>& input_bytes) {
    const std::string prefix = path(prefix_bytes);
    std::vector<std::string> inputs;
    for (const nb::bytes& input : input_bytes) inputs.push_back(path(input));
    rwkvtok::binidx::Writer writer(prefix, rwkvtok::binidx::MergedDtype(inputs));
    rwkvtok::binidx::Merge(inputs, &writer);
    const rwkvtok::binidx::Counts counts = writer.Commit();
    return nb::make_tuple(counts.documents, counts.tokens);
  });
  m.def("_binidx_read_field", [](nb::bytes line, const std::string& field) {
    std::string text, error;
    if (!rwkvtok::binidx::ReadField(std::string_view(line.c_str(), line.size()), field, &text,
                                    &error)) {
      Raise(PyExc_ValueError, "%s", error.c_str());
    }
    PyObject* result =
        PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "strict");
    if (result == nullptr) throw nb::python_error();
    return nb::steal(result);
  });
  m.def("_binidx_magic_prime", &rwkvtok::binidx::MagicPrime, "tokens"_a, "ctx_len"_a);
  m.def(
      "_binidx_shuffled_index",
      [](uint64_t i, uint64_t n, uint64_t seed, uint64_t pass) {
        if (i >= n) {  // the permutation's walk back into 0..n-1 would never end
          Raise(PyExc_ValueError, "i must be below n (%llu), not %llu",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(i));
        }
        return rwkvtok::binidx::ShuffledIndex(i, n, seed, pass);
      },
      "i"_a, "n"_a, "seed"_a, "pass_"_a);
  m.def("encode_path", []() { return rwkvtok_encode_path(); });
}
