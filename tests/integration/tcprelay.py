"""A TCP relay for the network-cut fault test: accepts on LISTEN_HOST:PORT
and pipes each connection to TARGET_HOST:PORT, until killed. Run as a
program (`python3 tcprelay.py LHOST LPORT THOST TPORT`) so it can live in a
network namespace (`ip netns exec`). Prints "ready" once it listens. Not a
proxy: bytes only, one thread per direction."""
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(lhost, lport, thost, tport):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((lhost, lport))
    ls.listen(128)
    print("ready", flush=True)
    while True:
        c, _ = ls.accept()
        try:
            t = socket.create_connection((thost, tport), timeout=5)
            t.settimeout(None)
        except OSError:
            c.close()
            continue
        for a, b in ((c, t), (t, c)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
