package dev.rollguard.web;

import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A release's frame encoded once: each connection's frame is the whole text as UTF-8, and reading one connection's frame
 * leaves the next one whole.
 */
class PreparedTextTest {
    @Test
    void everyFrameCarriesTheWholeTextEvenAfterAnotherWasWritten() {
        String text = "{\"desired\":{\"desiredVersion\":7,\"note\":\"ünïcödé €\"}}";
        PreparedText prepared = new PreparedText(text);
        for (int i = 0; i < 3; i++) {
            Frame f = prepared.frame();
            assertThat(f.getOpCode()).isEqualTo(OpCode.TEXT);
            assertThat(f.isFin()).isTrue();
            ByteBuffer payload = f.getPayload();
            byte[] bytes = new byte[payload.remaining()];
            // as the socket's write does: the frame's view is consumed
            payload.get(bytes);
            assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(text);
            assertThat(payload.hasRemaining()).isFalse();
        }
    }
}
