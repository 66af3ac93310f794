package io.github.yoloslim;

import java.util.Locale;

/** Parses a configuration value that names one constant of an enum, with the message a user needs when it does not. */
public final class Choices {

    private Choices() {
    }

    /**
     * The constant of {@code type} named {@code value}, ignoring case and surrounding blanks; a hyphen stands
     * for the constant's underscore ({@code bn-gamma} for {@code BN_GAMMA}).
     *
     * @param element the XML element the value came from
     * @param choices the valid values, explained, for the message (e.g. "skip (...) or fail")
     * @throws InvalidInputException naming the element, the bad value and the choices
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String value, String element, String choices) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidInputException("<" + element + ">" + value + "</" + element
                    + "> is not a valid choice: use " + choices + ".");
        }
    }

    /**
     * A switch: {@code true} or {@code false}, ignoring case and surrounding blanks. Maven itself reads any other
     * word as false, so {@code -D...multiLabel=maybe} would silently turn the switch off.
     *
     * @param element the XML element the value came from
     * @throws InvalidInputException naming the element and the bad value
     */
    public static boolean flag(String value, String element) {
        String normalised = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (normalised) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidInputException("<" + element + ">" + value + "</" + element
                    + "> is not a valid choice: use true or false.");
        };
    }
}
