"""Real servers on loopback for the remote-source suites: nginx (Debian) serving a folder with
range support, plus locations that answer like the Hugging Face Hub (a 302 from resolve/ to a
"CDN" path, the tree API from static JSON files), one that ignores Range and one that answers
403; a misbehaving server of our own for what no real server does on purpose (a connection
dropped midway, a body that never ends); and versitygw, a complete S3 gateway (SigV4, listing)
built with `go install` by installer/install-test-env.sh and cached outside the checkout."""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
VERSITYGW = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                         "checkpoint-studio", "bin", "versitygw")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, what, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


def stop(proc, folder):
    """Ends a server process and removes its folder."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(folder, ignore_errors=True)


NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 256; }}
http {{
    types {{ application/json json; }}
    default_type application/octet-stream;
    log_format counted '$request_method $uri $status $body_bytes_sent "$http_range"';
    access_log {run}/access.log counted;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    sendfile on;
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port};
{hub_files}
        root {root};
        location /files/ {{ alias {root}/; }}
        location /norange/ {{ alias {root}/; max_ranges 0; }}
        location /forbidden/ {{ return 403; }}
        # The Hub: resolve/ answers 302 to its CDN, which serves the file with an ETag. A
        # private repository (org/private) needs the token.
        location ~ ^/(?<repo>org/private)/resolve/(?<rev>[^/]+)/(?<file>.+)$ {{
            if ($http_authorization != "Bearer {token}") {{ return 401; }}
            error_page 404 @missing;
            if (!-f {hub}/$repo/$file) {{ return 404; }}
            return 302 http://127.0.0.1:{cdn_redirect_port}/cdn/$repo/$file;
        }}
        # A missing file: 404 with the Hub's error code, which huggingface_hub reads.
        location @missing {{
            add_header X-Error-Code EntryNotFound always;
            return 404 "Entry not found";
        }}
        location ~ ^/api/models/(?<repo>org/private)/tree/(?<rev>[^/]+)(?<sub>/.*)?$ {{
            if ($http_authorization != "Bearer {token}") {{ return 401; }}
            default_type application/json;
            try_files /hub-api/$repo$sub/tree.json =404;
        }}
        location ~ ^/(?<repo>[^/]+/[^/]+)/resolve/(?<rev>[^/]+)/(?<file>.+)$ {{
            error_page 404 @missing;
            if (!-f {hub}/$repo/$file) {{ return 404; }}
            return 302 http://127.0.0.1:{cdn_redirect_port}/cdn/$repo/$file;
        }}
        location ~ ^/api/models/(?<repo>[^/]+/[^/]+)/tree/(?<rev>[^/]+)(?<sub>/.*)?$ {{
            default_type application/json;
            try_files /hub-api/$repo$sub/tree.json =404;
        }}
    }}
    # HTTPS with a self-signed certificate (tls_cert): the files, and a redirect to plain http.
    server {{
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {run}/tls.crt;
        ssl_certificate_key {run}/tls.key;
        location /files/ {{ alias {root}/; }}
        location /downgrade/ {{ return 302 http://127.0.0.1:{port}/files/; }}
    }}
    # The Hub's CDN: another origin, which never sees the token.
    server {{
        listen 127.0.0.1:{cdn_port};
        location /cdn/ {{ alias {hub}/; }}
    }}
}}
"""


class Nginx:
    """nginx serving `root` at /files/ (and /norange/, /forbidden/; over HTTPS at tls_url with
    the self-signed certificate tls_cert, /downgrade/ there redirecting to http), and the Hub's repositories
    put in with add_hub_repo() at /ORG/REPO/resolve/... and /api/models/ORG/REPO/tree/...;
    org/private's files need the bearer token TOKEN."""

    TOKEN = "hf_checkpointStudioTestToken0123"

    def __init__(self, root, repos=None, cdn_redirect_port=None):
        self.root = root
        self.run = tempfile.mkdtemp(prefix="ckpt-nginx-")
        self.hub = os.path.join(root, "hub")
        os.makedirs(self.hub, exist_ok=True)
        self.port, self.cdn_port, self.tls_port = free_port(), free_port(), free_port()
        self.tls_cert = os.path.join(self.run, "tls.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", os.path.join(self.run, "tls.key"),
                        "-out", self.tls_cert], check=True, capture_output=True)
        # Where the Hub's 302s send clients: the CDN itself, or a proxy in front of it.
        self.cdn_redirect_port = cdn_redirect_port or self.cdn_port
        hub_files = "".join(self.add_hub_repo(repo, files) for repo, files in (repos or {}).items())
        with open(os.path.join(self.run, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(run=self.run, port=self.port, root=root, hub=self.hub, token=self.TOKEN,
                                      hub_files=hub_files, cdn_port=self.cdn_port, tls_port=self.tls_port,
                                      cdn_redirect_port=self.cdn_redirect_port))
        self.proc = subprocess.Popen([NGINX, "-p", self.run, "-c", os.path.join(self.run, "nginx.conf"),
                                      "-e", os.path.join(self.run, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.proc, "nginx")
        self.url = f"http://127.0.0.1:{self.port}"
        self.tls_url = f"https://127.0.0.1:{self.tls_port}"

    def requests(self):
        """What nginx logged so far: one (method, path, status, bytes sent, Range) per request."""
        out = []
        with open(os.path.join(self.run, "access.log")) as f:
            for line in f:
                method, path, status, sent, rng = line.rstrip("\n").split(" ", 4)
                out.append((method, path, int(status), int(sent), rng.strip('"')))
        return out

    COMMIT = "0123456789abcdef0123456789abcdef01234567"

    def add_hub_repo(self, repo, files):
        """A Hub repository `repo` (ORG/NAME) holding `files` ({path in repo: local file}): the
        files under the CDN, a tree.json for every folder as the Hub's tree API answers, and
        the nginx locations that answer resolve/main/FILE as the Hub does (302 to the CDN with
        X-Repo-Commit, X-Linked-Etag and X-Linked-Size, which huggingface_hub reads)."""
        folders = {"": []}
        locations = ""
        for rel, src in sorted(files.items()):
            dst = os.path.join(self.hub, repo, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.symlink(os.path.abspath(src), dst)  # nginx follows it; a big model is not copied
            parts = rel.split("/")
            for i in range(1, len(parts)):
                parent, sub = "/".join(parts[:i - 1]), "/".join(parts[:i])
                folders.setdefault(sub, [])
                if not any(e["path"] == sub for e in folders[parent]):
                    folders[parent].append({"type": "directory", "oid": hashlib.sha1(sub.encode()).hexdigest(),
                                            "size": 0, "path": sub})
            size = os.path.getsize(src)
            if size <= (16 << 20):
                with open(src, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            else:  # an ETag need only change when the file does
                digest = hashlib.sha256(f"{rel}:{size}:{os.path.getmtime(src)}".encode()).hexdigest()
            guard = f'if ($http_authorization != "Bearer {self.TOKEN}") {{ return 401; }}' if repo == "org/private" else ""
            # Large files live in LFS: a 302 to the CDN that says what it leads to. Small ones are
            # answered by the Hub itself.
            lfs = size > (1 << 20)
            answer = (f"return 302 http://127.0.0.1:{self.cdn_redirect_port}/cdn/{repo}/{rel};" if lfs
                      else f"alias {dst}; etag off;")
            etag = "X-Linked-Etag" if lfs else "ETag"
            locations += (f"        location = /{repo}/resolve/main/{rel} {{ {guard}\n"
                          f"            add_header X-Repo-Commit {self.COMMIT} always;\n"
                          f'            add_header {etag} \'"{digest}"\' always;\n'
                          + (f"            add_header X-Linked-Size {size} always;\n" if lfs else "")
                          + f"            {answer}\n        }}\n")
            folders["/".join(parts[:-1])].append({"type": "file", "oid": hashlib.sha1(rel.encode()).hexdigest(),
                                                  "size": size, "path": rel})
        for folder, entries in folders.items():
            dst = os.path.join(self.root, "hub-api", repo, folder, "tree.json")
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w") as f:
                json.dump(entries, f)
        return locations

    def close(self):
        stop(self.proc, self.run)


class LatencyProxy:
    """A TCP proxy on loopback that delays every byte by `one_way` seconds in each direction
    (a round trip of twice that), without limiting bandwidth: what `tc netem delay` does,
    for machines whose kernel has no netem. Listens on `port` (free when None)."""

    def __init__(self, target_port, one_way=0.025, port=None):
        import asyncio
        self.port = port or free_port()
        self.loop = asyncio.new_event_loop()
        delay = one_way

        async def pipe(reader, writer):
            queue = asyncio.Queue()

            async def pump():
                while True:
                    when, data = await queue.get()
                    if data is None:
                        break
                    wait = when - self.loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    writer.write(data)
                    await writer.drain()
                writer.close()

            task = asyncio.ensure_future(pump())
            try:
                while True:
                    data = await reader.read(1 << 16)
                    await queue.put((self.loop.time() + delay, data or None))
                    if not data:
                        break
            except (ConnectionError, OSError):
                await queue.put((self.loop.time(), None))
            await task

        async def handle(client_reader, client_writer):
            try:
                server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer),
                                 return_exceptions=True)

        async def start():
            self.server = await asyncio.start_server(handle, "127.0.0.1", self.port)

        self.loop.run_until_complete(start())
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self):
        # The loop's thread is a daemon: stopping to listen is enough, the process ends it.
        self.loop.call_soon_threadsafe(self.server.close)


class Misbehaving:
    """A server that does what real ones do only when broken: /drop/NAME answers a range with
    its headers and half its bytes, then closes; /endless/ streams bytes that never end;
    /liar/NAME claims Content-Range totals that change on every request."""

    def __init__(self, root):
        root_dir = root

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _file(self, prefix):
                with open(os.path.join(root_dir, self.path[len(prefix):]), "rb") as f:
                    return f.read()

            def _range(self, size):
                spec = self.headers.get("Range", "bytes=0-").split("=")[1]
                first, last = spec.split("-")
                return int(first), min(int(last) if last else size - 1, size - 1)

            def do_GET(self):
                try:
                    if self.path.startswith("/drop/"):
                        data = self._file("/drop/")
                        first, last = self._range(len(data))
                        body = data[first:last + 1]
                        self.send_response(206)
                        self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[:len(body) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                    elif self.path.startswith("/endless/"):
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.end_headers()
                        chunk = b"[" + b" " * 65535
                        while True:
                            self.wfile.write(chunk)
                            chunk = b" " * 65536
                    elif self.path.startswith("/liar/"):
                        data = self._file("/liar/")
                        first, last = self._range(len(data))
                        Handler.lies = getattr(Handler, "lies", 0) + 1
                        body = data[first:last + 1]
                        self.send_response(206)
                        self.send_header("Content-Range", f"bytes {first}-{last}/{len(data) + Handler.lies}")
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    else:
                        self.send_error(404)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class VersityGateway:
    """versitygw's S3 gateway over a POSIX folder, with one access key: requests must carry a
    valid SigV4 signature."""

    KEY, SECRET = "ckpttestkey", "ckpt-test-secret-0123456789"

    def __init__(self):
        if not os.path.exists(VERSITYGW):
            raise FileNotFoundError(VERSITYGW + " (installer/install-test-env.sh builds it)")
        self.root = tempfile.mkdtemp(prefix="ckpt-s3-")
        self.port = free_port()
        env = dict(os.environ, ROOT_ACCESS_KEY=self.KEY, ROOT_SECRET_KEY=self.SECRET)
        self.proc = subprocess.Popen([VERSITYGW, "--port", f"127.0.0.1:{self.port}", "posix", self.root],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.proc, "versitygw")
        self.url = f"http://127.0.0.1:{self.port}"

    def env(self):
        return {"AWS_ACCESS_KEY_ID": self.KEY, "AWS_SECRET_ACCESS_KEY": self.SECRET,
                "AWS_ENDPOINT_URL": self.url, "AWS_REGION": "us-east-1"}

    def put(self, bucket, key, src):
        """An object put in the gateway's folder (a bucket is a folder, a key a path)."""
        dst = os.path.join(self.root, bucket, key)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)

    def close(self):
        stop(self.proc, self.root)
