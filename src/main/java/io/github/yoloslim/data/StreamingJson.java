package io.github.yoloslim.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import io.github.yoloslim.InvalidInputException;
import java.io.IOException;

/**
 * Shared pieces of the project's streaming JSON readers: one parser factory, typed field reads, and errors
 * that name the source, the JSON line and column, and the element ({@code annotations[12].bbox}).
 *
 * <p>Elements are named by array, index and key, so the happy path builds no strings.
 */
public final class StreamingJson {

    /**
     * Standard JSON only ({@code NaN} and comments are errors); exact, fast double parsing and writing;
     * parsers and generators leave the caller's streams open.
     */
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE)
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    private StreamingJson() {
    }

    /**
     * Turns Jackson's syntax error into one that names the source, line and column; a file that ends early says
     * where it ends, inside what, and what was still expected, rather than Jackson's parser state.
     */
    public static InvalidInputException invalidJson(String source, StreamReadException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        // Jackson reports some early ends as JsonEOFException, others (between array entries) only in its wording.
        boolean ended = e instanceof JsonEOFException || String.valueOf(e.getOriginalMessage()).contains("end-of-input");
        JsonParser parser = e.getProcessor();
        if (ended && parser != null) {
            JsonToken decoding = e instanceof JsonEOFException eof ? eof.getTokenBeingDecoded() : null;
            return new InvalidInputException(source + ": the JSON ends" + where + " inside " + openPart(parser,
                    decoding) + ". The file is truncated: copy or download it again.", e);
        }
        return new InvalidInputException(source + ": not valid JSON" + where + ": " + e.getOriginalMessage(), e);
    }

    /** Where an unfinished document stopped, e.g. {@code annotations[12].bbox, an array; expected ...}. */
    private static String openPart(JsonParser parser, JsonToken decoding) {
        JsonStreamContext open = parser.getParsingContext();
        StringBuilder path = new StringBuilder();
        for (JsonStreamContext c = open; c.getParent() != null && !c.getParent().inRoot(); c = c.getParent()) {
            JsonStreamContext parent = c.getParent();
            path.insert(0, parent.inArray() ? "[" + parent.getCurrentIndex() + "]" : "." + parent.getCurrentName());
        }
        if (decoding == JsonToken.VALUE_STRING && open.inObject() && open.getCurrentName() != null) {
            path.append('.').append(open.getCurrentName());
        }
        if (path.length() > 0 && path.charAt(0) == '.') {
            path.deleteCharAt(0);
        }
        String inside = open.inArray() ? "an array; expected another element or ']'"
                : open.inObject() ? "an object; expected another key or '}'" : "a value";
        if (decoding == JsonToken.VALUE_STRING || decoding == JsonToken.FIELD_NAME) {
            inside = "a string; expected its closing quote";
        }
        return (path.length() == 0 ? "the top level" : path) + ", " + inside;
    }

    /** An error at a JSON location: {@code "<source>: line L, column C: <message>"}. */
    public static InvalidInputException error(String source, JsonLocation at, String message) {
        return new InvalidInputException(
                source + ": line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + message);
    }

    /** Fails unless the current token is {@code expected}; {@code description} says what was expected. */
    public static void expect(JsonParser p, String source, JsonToken expected, String description)
            throws IOException {
        if (p.currentToken() != expected) {
            throw error(source, p.currentTokenLocation(), "expected " + description + ", found " + found(p));
        }
    }

    /** The error for an element object that lacks a required key; {@code start} is where the object began. */
    public static InvalidInputException missing(String source, JsonLocation start, String array, int index,
            String key) {
        return error(source, start, element(array, index) + " (the object starting here) has no \"" + key + "\"");
    }

    /** The current token, an integer that fits a long. */
    public static long longValue(JsonParser p, String source, String array, int index, String key)
            throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw wrongType(p, source, array, index, key, "an integer");
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw wrongType(p, source, array, index, key, "an integer that fits 64 bits");
        }
        return p.getLongValue();
    }

    /** The current token, an integer that fits an int. */
    public static int intValue(JsonParser p, String source, String array, int index, String key)
            throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT) {
            throw wrongType(p, source, array, index, key, "a 32-bit integer");
        }
        return p.getIntValue();
    }

    /** The current token, any JSON number. */
    public static double doubleValue(JsonParser p, String source, String array, int index, String key)
            throws IOException {
        JsonToken t = p.currentToken();
        if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
            throw wrongType(p, source, array, index, key, "a number");
        }
        return p.getDoubleValue();
    }

    /** The current token, a string. */
    public static String stringValue(JsonParser p, String source, String array, int index, String key)
            throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw wrongType(p, source, array, index, key, "a string");
        }
        return p.getText();
    }

    /** Reads the {@code [x, y, width, height]} array at the current token into {@code box}. */
    public static void bbox(JsonParser p, String source, String array, int index, double[] box)
            throws IOException {
        JsonLocation start = p.currentTokenLocation();
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw wrongType(p, source, array, index, "bbox", "an array [x, y, width, height]");
        }
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), n++) {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw wrongType(p, source, array, index, "bbox[" + n + "]", "a number");
            }
            if (n < 4) {
                box[n] = p.getDoubleValue();
            }
        }
        if (n != 4) {
            throw error(source, start, element(array, index) + ".bbox must have 4 numbers [x, y, width, height], found "
                    + n);
        }
    }

    private static InvalidInputException wrongType(JsonParser p, String source, String array, int index,
            String key, String expected) throws IOException {
        return error(source, p.currentTokenLocation(),
                element(array, index) + "." + key + " must be " + expected + ", found " + found(p));
    }

    private static String element(String array, int index) {
        return array + "[" + index + "]";
    }

    /** The current token as an error message shows it. */
    private static String found(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            return "the end of the input";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case END_ARRAY -> "the end of an array";
            case END_OBJECT -> "the end of an object";
            case FIELD_NAME -> "the key \"" + p.currentName() + "\"";
            case VALUE_STRING -> "the string \"" + p.getText() + "\"";
            default -> p.getText();
        };
    }
}
