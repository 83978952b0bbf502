package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** The eight-bytes-a-step search against a byte-by-byte one, over every range of arrays that hold few or many matches. */
class BytesTest {
    @Test
    void findsTheFirstOfEitherByteInEveryRangeAsAByteByByteSearchDoes() {
        Random random = new Random(8);
        // matches, their neighbours and bytes with the high bit set, where a word's arithmetic could go wrong
        byte[] alphabet = {'\n', '\r', 'a', '"', 0, 1, 9, 11, 12, 14, (byte) 0x80, (byte) 0x8A, (byte) 0xFF, (byte) 0x0B};
        int checked = 0;
        for (int round = 0; round < 300; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            int spread = 1 + random.nextInt(alphabet.length);
            for (int i = 0; i < bytes.length; i++) bytes[i] = alphabet[random.nextInt(spread)];
            byte one = alphabet[random.nextInt(alphabet.length)];
            byte other = random.nextBoolean() ? one : alphabet[random.nextInt(alphabet.length)];
            for (int from = 0; from <= bytes.length; from++) {
                for (int to = from; to <= bytes.length; to++) {
                    assertThat(Bytes.indexOfEither(bytes, from, to, one, other)).isEqualTo(byteByByte(bytes, from, to, one, other));
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(10_000);
    }

    private static int byteByByte(byte[] bytes, int from, int to, byte one, byte other) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == one || bytes[i] == other) return i;
        }
        return -1;
    }
}
