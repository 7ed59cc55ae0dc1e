package dev.rollguard.secrets;
/** Seals bytes for storage at rest with the server's current secrets key; opens envelopes sealed with any key of the ring. */
public interface Sealer {
    /** An envelope: text, safe to store and log ("rg-sealed:v1:<keyId>:<base64>"). */
    String seal(byte[] plaintext);
    byte[] open(String envelope);
    static boolean isSealed(String text) { return text != null && text.startsWith("rg-sealed:v1:"); }
}
