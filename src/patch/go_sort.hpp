// Go's sort.SliceStable, step for step: strategic merge patch sorts with a comparator that is not a
// strict weak order, so only the same algorithm gives the same order.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace vbackup::patch::detail {

// Insertion sort in blocks of 20, then SymMerge (sort/zsortfunc.go stable_func).
template <typename T, typename Less>
void go_stable_sort(std::vector<T>& d, Less less) {
  auto swap = [&](long i, long j) { std::swap(d[i], d[j]); };
  auto insertion = [&](long a, long b) {
    for (long i = a + 1; i < b; ++i)
      for (long j = i; j > a && less(d[j], d[j - 1]); --j) swap(j, j - 1);
  };
  auto swap_range = [&](long a, long b, long n) {
    for (long i = 0; i < n; ++i) swap(a + i, b + i);
  };
  auto rotate = [&](long a, long m, long b) {
    long i = m - a, j = b - m;
    while (i != j) {
      if (i > j) {
        swap_range(m - i, m, j);
        i -= j;
      } else {
        swap_range(m - i, m + j - i, i);
        j -= i;
      }
    }
    swap_range(m - i, m, i);
  };
  std::function<void(long, long, long)> sym_merge = [&](long a, long m, long b) {
    if (m - a == 1) {
      long i = m, j = b;
      while (i < j) {
        long h = (i + j) / 2;
        if (less(d[h], d[a])) i = h + 1;
        else j = h;
      }
      for (long k = a; k < i - 1; ++k) swap(k, k + 1);
      return;
    }
    if (b - m == 1) {
      long i = a, j = m;
      while (i < j) {
        long h = (i + j) / 2;
        if (!less(d[m], d[h])) i = h + 1;
        else j = h;
      }
      for (long k = m; k > i; --k) swap(k, k - 1);
      return;
    }
    long mid = (a + b) / 2, n = mid + m, start, r;
    if (m > mid) {
      start = n - b;
      r = mid;
    } else {
      start = a;
      r = m;
    }
    long p = n - 1;
    while (start < r) {
      long c = (start + r) / 2;
      if (!less(d[p - c], d[c])) start = c + 1;
      else r = c;
    }
    long end = n - start;
    if (start < m && m < end) rotate(start, m, end);
    if (a < start && start < mid) sym_merge(a, start, mid);
    if (mid < end && end < b) sym_merge(mid, end, b);
  };
  long n = static_cast<long>(d.size()), block = 20, a = 0, b = block;
  while (b <= n) {
    insertion(a, b);
    a = b;
    b += block;
  }
  insertion(a, n);
  while (block < n) {
    a = 0;
    b = 2 * block;
    while (b <= n) {
      sym_merge(a, a + block, b);
      a = b;
      b += 2 * block;
    }
    if (long m = a + block; m < n) sym_merge(a, m, n);
    block *= 2;
  }
}

}  // namespace vbackup::patch::detail
