package dev.rollguard.web;

import dev.rollguard.Problem;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Each way a request body can be wrong has its stable code, decided on the parser's tokens and exception types (never on
 * Jackson's message text, which is for people and changes between versions), and a message saying where.
 */
class JsonBodyTest {
    private static Problem refused(String body) {
        Problem p = catchThrowableOfType(() -> ApiServer.parse(body, RolloutRoutes.ReleaseBody.class), Problem.class);
        assertThat(p).as(body).isNotNull();
        assertThat(p.status()).isEqualTo(400);
        return p;
    }

    @Test
    void anotherValueAfterTheBodyIsMalformed() {
        Problem p = refused("{\"version\": 1} {}");
        assertThat(p.code()).isEqualTo("malformed_json");
        assertThat(p.getMessage()).isEqualTo("malformed JSON: more after the value at line 1, column 16");
        assertThat(refused("{\"version\": 1}\n  7").getMessage()).isEqualTo("malformed JSON: more after the value at line 2, column 3");
    }

    @Test
    void garbageAfterTheBodyIsMalformedWhereItStarts() {
        Problem p = refused("{} trailing");
        assertThat(p.code()).isEqualTo("malformed_json");
        assertThat(p.getMessage()).startsWith("malformed JSON at line 1, column 12: Unrecognized token 'trailing'");
    }

    @Test
    void aBodyThatEndsEarlyIsMalformed() {
        Problem p = refused("{\"files\": {\"a\": ");
        assertThat(p.code()).isEqualTo("malformed_json");
        assertThat(p.getMessage()).startsWith("malformed JSON at line 1, column 17: Unexpected end-of-input");
        assertThat(refused("\"abc").code()).isEqualTo("malformed_json");
    }

    @Test
    void aKeyGivenTwiceIsMalformed() {
        Problem p = refused("{\"version\": 1, \"version\": 2}");
        assertThat(p.code()).isEqualTo("malformed_json");
        assertThat(p.getMessage()).isEqualTo("malformed JSON at line 1, column 25: Duplicate field 'version'");
    }

    @Test
    void wellFormedButTheWrongShapeIsAnInvalidRequest() {
        assertThat(refused("[1, 2]").code()).isEqualTo("invalid_request");
        assertThat(refused("null").getMessage()).isEqualTo("request body must be a JSON object");
        Problem p = catchThrowableOfType(() -> ApiServer.parse("{\"files\": [\"a\"], \"message\": \"m\"}", ConfigRoutes.PushBody.class),
                Problem.class);
        assertThat(p.code()).isEqualTo("invalid_request");
        assertThat(p.getMessage()).startsWith("invalid request: field 'files': Cannot deserialize");
        assertThat(refused("   ").code()).isEqualTo("missing_body");
    }

    @Test
    void aGoodBodyParses() {
        assertThat(ApiServer.parse("{\"version\": 3}", RolloutRoutes.ReleaseBody.class).version()).isEqualTo(3);
    }

    /** A body type of this test's own (no annotation that ignores unknown keys). */
    record Versioned(Integer version) {}

    @Test
    void eachTypeKeepsItsLenientAndItsStrictReaderApart() {
        // readers are made once per type and kept: the strict one must not leak into lenient parses of the type, nor back
        String misspelt = "{\"version\": 3, \"breakGlas\": \"x\"}";
        assertThat(ApiServer.parse(misspelt, Versioned.class).version()).isEqualTo(3);
        Problem p = catchThrowableOfType(() -> ApiServer.parseStrict(misspelt, Versioned.class), Problem.class);
        assertThat(p.code()).isEqualTo("unknown_key");
        assertThat(ApiServer.parse(misspelt, Versioned.class).version()).isEqualTo(3);
        Problem twice = catchThrowableOfType(() -> ApiServer.parseStrict("{\"version\": 1} {}", Versioned.class), Problem.class);
        assertThat(twice.code()).isEqualTo("malformed_json");
    }
}
