// The skeleton both loopback test servers (test_http_server, fault_proxy) stand on: a listening
// socket on 127.0.0.1, an accept thread, one thread per connection. Stopping (the destructor) shuts
// every tracked socket down so that blocked reads return, then joins every thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace vbackup::testing {

class LoopbackListener {
 public:
  using tcp = boost::asio::ip::tcp;
  // Called on a connection's own thread with the accepted socket (TCP_NODELAY set) and its number
  // (1, 2, …); exceptions are swallowed; the socket is closed afterwards.
  using Serve = std::function<void(tcp::socket&, std::size_t id)>;

  LoopbackListener();  // binds and listens on 127.0.0.1 at a free port; accepts nothing yet
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  void start(Serve serve);  // starts accepting
  unsigned short port() const { return port_; }
  boost::asio::io_context& io() { return ioc_; }
  // Sleeps, unless stopping comes first; false when stopping.
  bool pause(std::chrono::milliseconds d);
  // Another socket (a proxy's upstream) to shut down on stop; false when already stopping.
  bool track(tcp::socket& s);
  // Stops tracking s (before it is closed, so that a reused descriptor is never shut down), then
  // shuts it down and closes it. No-op on a closed socket.
  void close(tcp::socket& s);
  std::size_t connections() const { return accepted_; }
  std::size_t max_open() const { return max_open_; }

 private:
  void accept_loop();

  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  Serve serve_;
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::set<int> open_fds_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> accepted_{0}, max_open_{0};
};

}  // namespace vbackup::testing
