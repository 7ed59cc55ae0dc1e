package dev.rollguard.secrets;

import dev.rollguard.Problem;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a random 96-bit nonce per envelope and the key id as associated data, so an envelope moved to
 * another key id (or edited) fails to open instead of opening with the wrong key. The body is nonce ‖ ciphertext ‖ tag.
 */
public final class AesGcmSealer implements Sealer {
    static final String PREFIX = "rg-sealed:v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private final SecureRandom random = new SecureRandom();
    private volatile KeyRing ring;

    public AesGcmSealer(KeyRing ring) {
        this.ring = ring;
    }

    public KeyRing ring() { return ring; }

    /** A new current key, written to the ring's file; the old keys stay to open what they sealed. */
    public synchronized KeyRing rotate() {
        ring = ring.rotated();
        return ring;
    }

    @Override
    public String currentKeyId() { return ring.current().id(); }

    @Override
    public String seal(byte[] plaintext) {
        KeyRing.Key key = ring.current();
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.bytes(), "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(key.id().getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext);
            byte[] body = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
            return PREFIX + key.id() + ":" + Base64.getEncoder().encodeToString(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable in this JVM", e);
        }
    }

    @Override
    public byte[] open(String envelope) {
        String id = Sealer.keyIdOf(envelope);
        KeyRing ring = this.ring;
        KeyRing.Key key = ring.find(id).orElseThrow(() -> new Problem(500, "secrets_key_missing",
                "a sealed value names secrets key " + id + ", which the key ring (" + ring.source() + ") does not hold"));
        byte[] body;
        try {
            body = Base64.getDecoder().decode(envelope.substring(PREFIX.length() + id.length() + 1));
        } catch (IllegalArgumentException e) {
            throw new Problem(500, "sealed_value_damaged", "a sealed value is not valid base64");
        }
        if (body.length < NONCE_BYTES + TAG_BITS / 8) throw new Problem(500, "sealed_value_damaged", "a sealed value is too short");
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key.bytes(), "AES"), new GCMParameterSpec(TAG_BITS, body, 0, NONCE_BYTES));
            cipher.updateAAD(id.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(body, NONCE_BYTES, body.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new Problem(500, "sealed_value_damaged", "a sealed value does not open with secrets key " + id
                    + " (damaged, or the key file is not the one it was sealed with)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable in this JVM", e);
        }
    }
}
