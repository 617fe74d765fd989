// SharedArray<T>: an immutable array whose buffer several owners can hold,
// counted by reference. The network's CSR and a transmission graph built on
// it often hold the same index arrays: a downstream risk type over every
// layer of a network with one edge per pair has exactly the network's in-
// and out-offsets, its in-rows' sources and its out-rows' targets (8 bytes
// per edge and 8 per node, ~8.8 MB on 100k nodes / 1M edges).
// BuildTransmissionGraph then holds the network's buffers instead of equal
// copies of them (transmission.h).
//
// Reads cost what a std::vector's do (one pointer to the first element).
// A buffer is never written after construction, so copies share it; an
// owner that needs other values builds a new array. Comparison is by value.
//
// Thread-safety: const methods may be called concurrently, and copies of one
// array may be made, read and destroyed on different threads (the count is
// std::shared_ptr's).
#ifndef RISKD_ENGINE_SHARED_ARRAY_H_
#define RISKD_ENGINE_SHARED_ARRAY_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace riskd::engine {

template <typename T>
class SharedArray {
 public:
  SharedArray() = default;
  SharedArray(const SharedArray&) = default;
  SharedArray& operator=(const SharedArray&) = default;
  // A moved-from array is empty, as a moved-from std::vector is in
  // practice (the defaults would leave its size with a null buffer).
  SharedArray(SharedArray&& other) noexcept
      : data_(std::move(other.data_)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  SharedArray& operator=(SharedArray&& other) noexcept {
    if (this != &other) {
      data_ = std::move(other.data_);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  // Takes the values without copying them (the vector's capacity too: see
  // ShrinkToFit).
  explicit SharedArray(std::vector<T> values) {
    auto owner = std::make_shared<const std::vector<T>>(std::move(values));
    size_ = owner->size();
    capacity_ = owner->capacity();
    data_ = std::shared_ptr<const T>(owner, owner->data());
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T* data() const { return data_.get(); }
  const T& operator[](std::size_t i) const { return data_.get()[i]; }
  const T* begin() const { return data_.get(); }
  const T* end() const { return data_.get() + size_; }
  std::span<const T> span() const { return {data_.get(), size_}; }

  // Whether both hold the same buffer (not merely equal values).
  bool SharesWith(const SharedArray& other) const { return size_ > 0 && data_ == other.data_; }
  // Bytes of the buffer (its capacity).
  std::size_t CapacityBytes() const { return data_ != nullptr ? capacity_ * sizeof(T) : 0; }
  // Bytes of the buffer if no other owner holds it, else 0:
  // what dropping this owner would free.
  std::size_t OwnBytes() const { return data_.use_count() == 1 ? CapacityBytes() : 0; }
  // Replaces a buffer with growth slack by a fitted copy (a shared one too:
  // the other owners keep theirs).
  void ShrinkToFit() {
    if (capacity_ > size_) *this = SharedArray(std::vector<T>(begin(), end()));
  }

  friend bool operator==(const SharedArray& a, const SharedArray& b) {
    return a.size_ == b.size_ && (a.data_ == b.data_ || std::equal(a.begin(), a.end(), b.begin()));
  }

 private:
  // Points at the first element; owns the vector holding them.
  std::shared_ptr<const T> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace riskd::engine

#endif  // RISKD_ENGINE_SHARED_ARRAY_H_
