package dev.rollguard.secrets;

import dev.rollguard.TestServer;

import java.nio.file.Path;

/** A sealer with a fresh key ring in a temporary directory, for tests that build stores by hand. */
public final class TestSealers {
    private TestSealers() {}

    public static Sealer fresh() {
        Path dir = TestServer.tempDir();
        return new AesGcmSealer(KeyRing.load(dir.resolve("test.db").toString(), dir.resolve("test.db.secrets-key"), null, true));
    }
}
