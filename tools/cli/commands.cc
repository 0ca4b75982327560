#include "tools/cli/commands.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lib/blob_format.h"
#include "tools/cli/error.h"
#include "tools/cli/workers.h"

namespace rwkvtok {
namespace cli {
namespace {

// The length of a valid id's token: what decoding it alone needs.
size_t TokenLength(const Tokenizer& tok, uint32_t id) {
  return tok.Decode(&id, 1, nullptr, 0).count;
}

std::string EncodingFailed(Status status) {
  return std::string("encoding failed: ") + StatusMessage(status);
}

// Writes ids in one format; `format` none: only counts them.
class IdWriter {
 public:
  IdWriter(Output* out, std::optional<Format> format) : out_(out), format_(format) {}

  bool formats() const { return format_.has_value(); }
  Format format() const { return *format_; }

  // `ids` ids, formatted by FormatIds into `size` bytes.
  void Formatted(const char* bytes, size_t size, size_t ids) {
    if (ids == 0) return;
    if (*format_ == Format::kJson && written_ == 0) {  // the first id opens the array
      out_->Write("[", 1);
      ++bytes;
      --size;
    }
    written_ += ids;
    out_->Write(bytes, size);
  }

  void Id(uint32_t id) {
    if (!formats()) return;
    char bytes[kMaxFormattedWidth];
    Formatted(bytes, static_cast<size_t>(FormatId(*format_, id, bytes) - bytes), 1);
  }

  // After the last id: closes the JSON array.
  void End() {
    if (formats() && *format_ == Format::kJson) {
      const char* end = written_ == 0 ? "[]\n" : "]\n";
      out_->Write(end, std::strlen(end));
    }
  }

 private:
  Output* out_;
  std::optional<Format> format_;
  uint64_t written_ = 0;
};

// Encodes a stream block by block. Each block is cut into one part per thread, the parts are
// encoded at once (Tokenizer::EncodePart) and joined into exactly the one-shot ids
// (Tokenizer::JoinParts), and the ids are formatted on all threads too. Unless the input has
// ended, the ids that are not final yet (their tokens might grow with the next block's bytes) are
// held back exactly as StreamEncoder holds them, and their bytes start the next block.
class StreamingEncoder {
 public:
  StreamingEncoder(const Tokenizer& tok, const EncodeSettings& settings, Input* in)
      : tok_(tok),
        max_length_(tok.max_token_length()),
        block_(settings.block),
        workers_(settings.threads),
        reader_(in, block_, max_length_),
        ids_(new uint32_t[block_ + max_length_]),
        parts_(settings.threads),
        part_status_(settings.threads),
        slices_(settings.threads),
        carried_(new char[max_length_]),
        tail_ids_(new uint32_t[2 * max_length_]) {}

  uint64_t Run(IdWriter* writer) {
    uint64_t total = 0;
    size_t carry = 0;
    while (true) {
      char* data;
      const size_t n = reader_.Next(&data);
      // The carried bytes go just before the block's, in the room the reader leaves there.
      text_ = data - carry;
      std::memcpy(text_, carried_.get(), carry);
      scratch_ = data - max_length_;
      const size_t size = carry + n;
      const bool last = n == 0;
      if (size == 0) break;
      const Result joined = EncodeBlock(size);
      const uint32_t* const ids = ids_.get() + joined.position;
      size_t final_count = joined.count;
      size_t tail_count = 0;
      carry = 0;
      if (!last) {
        // Tokens that start within max_token_length bytes of the end might grow: the streaming
        // encoder says which of them are final, and the bytes of the others are carried.
        size_t done = size;
        while (final_count > 0) {
          const size_t start = done - TokenLength(tok_, ids[final_count - 1]);
          if (start + max_length_ <= size) break;
          done = start;
          --final_count;
        }
        StreamEncoder tail(tok_);
        const Result r = tail.Push(text_ + done, size - done, tail_ids_.get(), 2 * max_length_);
        if (!r.ok()) throw Error(EncodingFailed(r.status));
        tail_count = r.count;
        carry = tail.pending();
        std::memcpy(carried_.get(), text_ + size - carry, carry);
      }
      Emit(ids, final_count, writer);
      Emit(tail_ids_.get(), tail_count, writer);
      total += final_count + tail_count;
      if (last) break;
    }
    return total;
  }

 private:
  // Encodes text_[0..size) into ids_; the ids are ids_[position, position + count).
  Result EncodeBlock(size_t size) {
    // A full block goes to every thread; the short reads of a slow stream, to fewer, and no part
    // is so short that handing it out costs more than encoding it.
    constexpr size_t kMinPart = 64;
    const size_t threads = workers_.size();
    const size_t part_count =
        std::max<size_t>(1, std::min({threads, size * threads / block_, size / kMinPart}));
    for (size_t k = 0; k < part_count; ++k) {
      parts_[k] = Tokenizer::Part{size * k / part_count, size * (k + 1) / part_count, 0, 0, 0};
    }
    workers_.Run(part_count, [&](size_t k) {
      part_status_[k] = tok_.EncodePart(text_, size, &parts_[k], ids_.get());
    });
    for (size_t k = 0; k < part_count; ++k) {
      if (part_status_[k] != Status::kOk) throw Error(EncodingFailed(part_status_[k]));
    }
    const Result joined = tok_.JoinParts(text_, size, parts_.data(), part_count, ids_.get());
    if (!joined.ok()) throw Error(EncodingFailed(joined.status));
    return joined;
  }

  // Formats ids in rounds, into the block's buffer (its text is no longer needed): each round
  // splits as many ids as it holds among the threads, then writes their slices in order.
  void Emit(const uint32_t* ids, size_t count, IdWriter* writer) {
    if (!writer->formats()) return;
    const Format format = writer->format();
    char* const scratch = scratch_;
    const size_t room = (block_ + max_length_) / kMaxFormattedWidth;  // ids a round can hold
    const size_t rounds = (count + room - 1) / room;
    for (size_t base = 0; base < count;) {
      const size_t n = std::min(room, (count - base + rounds - 1) / rounds);  // rounds alike
      // Slices of fewer ids would cost more to hand out than to format.
      constexpr size_t kMinSlice = 16384;
      const size_t slice_count = std::max<size_t>(1, std::min(workers_.size(), n / kMinSlice));
      workers_.Run(slice_count, [&](size_t k) {
        const size_t begin = n * k / slice_count, end = n * (k + 1) / slice_count;
        char* const from = scratch + begin * kMaxFormattedWidth;
        slices_[k] =
            static_cast<size_t>(FormatIds(format, ids + base + begin, end - begin, from) - from);
      });
      for (size_t k = 0; k < slice_count; ++k) {
        const size_t begin = n * k / slice_count, end = n * (k + 1) / slice_count;
        writer->Formatted(scratch + begin * kMaxFormattedWidth, slices_[k], end - begin);
      }
      base += n;
    }
  }

  const Tokenizer tok_;
  const size_t max_length_;
  const size_t block_;
  Workers workers_;
  ReadAhead reader_;
  char* text_ = nullptr;             // the carried bytes and the block's, in the reader's buffer
  char* scratch_ = nullptr;          // that whole buffer: max_length_ + block_ bytes
  std::unique_ptr<uint32_t[]> ids_;  // one per byte of text: the room EncodePart needs
  std::vector<Tokenizer::Part> parts_;
  std::vector<Status> part_status_;
  std::vector<size_t> slices_;  // bytes formatted by each thread in a round
  std::unique_ptr<char[]> carried_;
  std::unique_ptr<uint32_t[]> tail_ids_;
};

// --- Decoding ------------------------------------------------------------------------------------

// Decodes ids by policy; on an error, first writes what is held back as the policy says of text
// cut short, then throws.
class StreamingDecoder {
 public:
  StreamingDecoder(const Tokenizer& tok, Utf8Policy policy, Output* out)
      : tok_(tok), policy_(policy), decoder_(tok, policy), out_(out) {}

  // Decodes ids[0..count), the ids at 1-based positions first, first + 1, ...
  void Ids(const uint32_t* ids, size_t count, uint64_t first) {
    if (policy_ == Utf8Policy::kRaw) {
      Raw(ids, count, first);
    } else {
      for (size_t i = 0; i < count; ++i) Push(ids[i], first + i);
    }
  }

  // The end of the input: what is held back, by policy.
  void Finish() {
    const size_t room = decoder_.max_output();
    const Result r = decoder_.Finish(out_->Reserve(room), room);
    out_->Commit(r.count);
    if (r.status == Status::kInvalidUtf8) {
      throw Error("invalid UTF-8: the input ends inside the character begun by " + Begun());
    }
  }

  // An error in the input itself (a malformed id or an invalid one).
  [[noreturn]] void InputError(const std::string& message) {
    EndCutShort();
    throw Error(message);
  }

 private:
  // The exact bytes: nothing is held back, so the one-shot decoder does it, a batch at a time.
  void Raw(const uint32_t* ids, size_t count, uint64_t first) {
    const size_t batch = Output::kMaxReserve / tok_.max_token_length();
    for (size_t i = 0; i < count; i += batch) {
      const size_t n = std::min(batch, count - i);
      const Result r =
          tok_.Decode(ids + i, n, out_->Reserve(Output::kMaxReserve), Output::kMaxReserve);
      out_->Commit(r.count);
      if (r.status == Status::kInvalidId) InvalidId(ids[i + r.position], first + i + r.position);
      if (!r.ok()) InputError(std::string("decoding failed: ") + StatusMessage(r.status));
    }
  }

  void Push(uint32_t id, uint64_t position) {
    const size_t room = decoder_.max_output();
    const size_t held = decoder_.pending();
    const Result r = decoder_.Push(id, out_->Reserve(room), room);
    out_->Commit(r.count);
    if (r.ok()) {
      // The held bytes now begin at this id, unless they are the same character's and this id's
      // bytes all went to it (then, and only then, there are held + its length of them).
      const size_t now = decoder_.pending();
      if (now != 0 && !(held != 0 && now == held + TokenLength(tok_, id))) {
        begun_id_ = id;
        begun_position_ = position;
      }
      return;
    }
    if (r.status == Status::kStopped) {
      // The end of text; under strict, a character left unfinished before it is invalid.
      if (policy_ == Utf8Policy::kStrict && r.position == 1) {
        throw Error("invalid UTF-8: the character begun by " + Begun() +
                    " is unfinished at the end of text, " + Where(id, position));
      }
      return;
    }
    if (r.status == Status::kInvalidId) InvalidId(id, position);
    if (r.status == Status::kInvalidUtf8) {
      // Nothing written and something held: the held character is what this id breaks.
      if (held != 0 && r.count == 0) {
        throw Error("invalid UTF-8: the character begun by " + Begun() + " is broken by " +
                    Where(id, position));
      }
      throw Error("invalid UTF-8 in " + Where(id, position));
    }
    InputError(std::string("decoding failed: ") + StatusMessage(r.status));
  }

  [[noreturn]] void InvalidId(uint32_t id, uint64_t position) {
    EndCutShort();
    throw Error("invalid id " + std::to_string(id) + " at position " + std::to_string(position) +
                ": it names no token (0 is end of text, tokens are 1.." +
                std::to_string(tok_.token_count() - 1) + ")");
  }

  // What is held back, as the policy says of text cut short: U+FFFD (replace); nothing (raw holds
  // nothing, strict writes only valid text). Done before a message is made, which may fail.
  void EndCutShort() {
    if (policy_ != Utf8Policy::kReplace) return;
    const size_t room = decoder_.max_output();
    const Result r = decoder_.Finish(out_->Reserve(room), room);
    out_->Commit(r.count);
  }

  static std::string Where(uint32_t id, uint64_t position) {
    return "id " + std::to_string(id) + " at position " + std::to_string(position);
  }
  std::string Begun() const { return Where(begun_id_, begun_position_); }

  const Tokenizer tok_;
  const Utf8Policy policy_;
  StreamDecoder decoder_;  // stop id 0: the end of text ends a text
  Output* const out_;
  // Where the held character began.
  uint32_t begun_id_ = 0;
  uint64_t begun_position_ = 0;
};

}  // namespace

uint64_t Encode(const Tokenizer& tok, const EncodeSettings& settings, Input* in, Output* out) {
  IdWriter writer(out, settings.format);
  StreamingEncoder encoder(tok, settings, in);
  uint64_t total = encoder.Run(&writer);
  if (settings.eos) {
    writer.Id(blob::kEndOfTextId);
    ++total;
  }
  writer.End();
  return total;
}

void Decode(const Tokenizer& tok, Format format, Utf8Policy policy, size_t block, Input* in,
            Output* out) {
  IdParser parser(format);
  StreamingDecoder decoder(tok, policy, out);
  ReadAhead reader(in, block, 0);
  constexpr size_t kBatch = 4096;
  uint32_t ids[kBatch];
  char* bytes;
  while (const size_t n = reader.Next(&bytes)) {
    for (size_t offset = 0; offset < n;) {
      size_t used;
      const size_t count = parser.Feed(bytes + offset, n - offset, ids, kBatch, &used);
      offset += used;
      decoder.Ids(ids, count, parser.ids_read() - count + 1);
      if (parser.failed()) decoder.InputError(parser.error());
    }
  }
  const size_t count = parser.End(ids);
  decoder.Ids(ids, count, parser.ids_read() - count + 1);
  if (parser.failed()) decoder.InputError(parser.error());
  decoder.Finish();
}

}  // namespace cli
}  // namespace rwkvtok
