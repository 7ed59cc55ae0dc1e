package dev.rollguard.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback that can silence the connections open through it: from then on it swallows what either side
 * sends, without a reset or a close, as a NAT or a proxy that forgot a connection does. Connections opened after that pass.
 */
final class SilencingProxy implements AutoCloseable {
    private static final String ADDRESS = "127.0.0.2";
    private final ServerSocket listener;
    private final List<Pipe> open = new CopyOnWriteArrayList<>();

    private final class Pipe {
        final Socket client;
        final Socket backend;
        volatile boolean silent;

        Pipe(Socket client, Socket backend) {
            this.client = client;
            this.backend = backend;
        }

        void pump(InputStream in, OutputStream out) {
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (silent) continue;
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away: the pipe ends with it
            }
            if (!silent) close();
        }

        void close() {
            try {
                client.close();
                backend.close();
            } catch (IOException e) {
                // closing both ends of a pipe that is over
            }
        }
    }

    /**
     * A proxy in front of the API's port alone, as many are: on an address of its own (127.0.0.2, loopback too), so the
     * channel's own port a server advertises at the address the agent reached it by is not there (the agent's channel goes
     * through the proxy, on the API's port).
     */
    SilencingProxy(int backendPort) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getByName(ADDRESS));
        daemon(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket backend = new Socket();
                    backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), backendPort));
                    Pipe p = new Pipe(client, backend);
                    open.add(p);
                    daemon(() -> p.pump(client.getInputStream(), backend.getOutputStream()));
                    daemon(() -> p.pump(backend.getInputStream(), client.getOutputStream()));
                } catch (IOException e) {
                    // the listener closed, or the backend refused one connection: the client sees it closed
                }
            }
        });
    }

    private interface Body {
        void run() throws IOException;
    }

    private static void daemon(Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (IOException e) {
                // a socket closed under it
            }
        }, "silencing-proxy");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://" + ADDRESS + ":" + listener.getLocalPort();
    }

    /** Every connection open now goes silent (both ways); returns how many. */
    int silenceOpenConnections() {
        int n = 0;
        for (Pipe p : open) {
            if (!p.silent) n++;
            p.silent = true;
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        listener.close();
        open.forEach(Pipe::close);
    }
}
