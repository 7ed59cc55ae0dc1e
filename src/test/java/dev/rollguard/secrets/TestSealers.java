package dev.rollguard.secrets;

import dev.rollguard.TestServer;

/** A sealer with a fresh key ring in a temporary directory, for tests that build stores by hand. */
public final class TestSealers {
    private TestSealers() {}

    public static Sealer fresh() {
        return new AesGcmSealer(KeyRing.load(TestServer.tempDir().resolve("test.db").toString(), null, true));
    }
}
