#include "loopback_listener.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <memory>

namespace vbackup::testing {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

LoopbackListener::LoopbackListener() {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
}

void LoopbackListener::start(Serve serve) {
  serve_ = std::move(serve);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

LoopbackListener::~LoopbackListener() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  stop_cv_.notify_all();
  if (accept_thread_.joinable()) {
    // Wake the blocked accept with a connection of our own.
    try {
      asio::io_context io;
      tcp::socket s(io);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    } catch (...) {
    }
    accept_thread_.join();
  }
  std::vector<std::thread> all;
  {
    std::lock_guard lock(mu_);
    all.swap(threads_);
  }
  for (auto& t : all) t.join();
}

bool LoopbackListener::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  return !stop_cv_.wait_for(lock, d, [this] { return stopping_; });
}

bool LoopbackListener::track(tcp::socket& s) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  open_fds_.insert(s.native_handle());
  return true;
}

void LoopbackListener::close(tcp::socket& s) {
  if (!s.is_open()) return;
  {
    std::lock_guard lock(mu_);
    open_fds_.erase(s.native_handle());
  }
  error_code ec;
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
}

void LoopbackListener::accept_loop() {
  for (;;) {
    auto sock = std::make_shared<tcp::socket>(ioc_);
    error_code ec;
    acceptor_.accept(*sock, ec);
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (ec) continue;
    std::size_t id = ++accepted_;
    sock->set_option(tcp::no_delay(true), ec);  // header and body go in separate writes
    open_fds_.insert(sock->native_handle());
    max_open_ = std::max(max_open_.load(), open_fds_.size());
    threads_.emplace_back([this, sock, id] {
      try {
        serve_(*sock, id);
      } catch (...) {
      }
      close(*sock);
    });
  }
}

}  // namespace vbackup::testing
