"""A server that accepts connections, reads what is sent, and never answers: the hung Kubernetes API
server (or object store) of issue 12. `with SilentServer() as s:` listens on 127.0.0.1:s.port and
counts the connections it accepted; leaving the block closes everything."""
import socket
import threading


class SilentServer:
    def __init__(self):
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)  # accept() wakes up to see the stop flag
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._held = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            self._held.append(conn)  # kept open, never answered

    def kubeconfig(self, path):
        """A kubeconfig naming this server."""
        path.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters: [{{name: hung, cluster: {{server: \"{self.url}\"}}}}]\n"
            "users: [{name: u, user: {token: t}}]\n"
            "contexts: [{name: hung, context: {cluster: hung, user: u}}]\ncurrent-context: hung\n")
        return path

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
        for c in self._held:
            c.close()
