package dev.rollguard.agent;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where the agent opens its channel: the port its server said, for that server only (by scheme and authority), never a
 * plain-text one for a server it reaches over TLS, and none once the server says it has none.
 */
class ChannelLinkTest {
    @Test
    void theChannelsPortIsTheOneItsOwnServerSaid() {
        DesiredChannel.Link link = new DesiredChannel.Link();
        assertThat(link.ownPort("http://a:8080")).isNull();
        link.heard("http://a:8080", "ws://a:8081/");
        // the same server, however its URL is spelt (a long-poll's full request URI)
        assertThat(link.ownPort("http://a:8080")).isEqualTo("ws://a:8081");
        assertThat(link.ownPort("http://a:8080/api/v1/agents/wp/prod/h/desired?known=3")).isEqualTo("ws://a:8081");
        // another replica has not said where its own is: its channel goes to its API's port
        assertThat(link.ownPort("http://b:8080")).isNull();
        link.heard("http://a:8080", null);
        assertThat(link.ownPort("http://a:8080")).isNull();
    }

    @Test
    void aServerReachedOverTlsIsNeverLeftForPlainText() {
        DesiredChannel.Link link = new DesiredChannel.Link();
        link.heard("https://rg.example", "ws://rg.example:8081");
        assertThat(link.ownPort("https://rg.example")).as("the token would travel unencrypted").isNull();
        link.heard("https://rg.example", "wss://push.rg.example:443");
        assertThat(link.ownPort("https://rg.example")).isEqualTo("wss://push.rg.example:443");
    }
}
