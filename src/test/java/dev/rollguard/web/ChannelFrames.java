package dev.rollguard.web;

import dev.rollguard.Json;
import dev.rollguard.TestServer;
import dev.rollguard.protocol.AgentProtocol;

import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** One end of an agent's channel in a test: the frames the server sent, in order, and the close code it ended with. */
final class ChannelFrames implements WebSocket.Listener {
    final LinkedBlockingQueue<AgentProtocol.ChannelMessage> messages = new LinkedBlockingQueue<>();
    /** The server's close code (-1: the connection failed without one). */
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            messages.add(Json.read(text.toString(), AgentProtocol.ChannelMessage.class));
            text.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        closed.complete(-1);
    }

    AgentProtocol.ChannelMessage next() throws InterruptedException {
        AgentProtocol.ChannelMessage m = messages.poll(TestServer.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(m).as("a frame from the server").isNotNull();
        return m;
    }
}
