package dev.rollguard.secrets;

/** Seals bytes for storage at rest with the server's current secrets key; opens envelopes sealed with any key of the ring. */
public interface Sealer {
    /** An envelope: text, safe to store and log ("rg-sealed:v1:<keyId>:<base64>"). */
    String seal(byte[] plaintext);

    byte[] open(String envelope);

    static boolean isSealed(String text) { return text != null && text.startsWith("rg-sealed:v1:"); }

    /** The id of the key new envelopes are sealed with. */
    String currentKeyId();

    /** The key id an envelope names (without opening it). */
    static String keyIdOf(String envelope) {
        if (!isSealed(envelope)) throw new IllegalArgumentException("not a sealed envelope");
        int start = "rg-sealed:v1:".length();
        int end = envelope.indexOf(':', start);
        if (end < 0) throw new IllegalArgumentException("a sealed envelope without a key id");
        return envelope.substring(start, end);
    }
}
