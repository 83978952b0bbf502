package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.knuddels.jtokkit.Encodings;
import com.sun.management.ThreadMXBean;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/** jtokkit's own o200k_base encoder is the oracle: every count must equal its {@code countTokensOrdinary}. */
class O200kTokenCounterTest {
    private static O200kTokenCounter counter;
    private static Encoding jtokkit;

    @BeforeAll
    static void load() {
        counter = O200kTokenCounter.load();
        jtokkit = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    }

    @Test
    void countsWhatJtokkitCountsOnEverydayText() {
        List<String> samples = List.of("", "a", " ", "hello", "Hello, world!", "I'm sure they'll've GONE'S",
                "The quick brown fox jumps over the lazy dog.\n\nAnd then?\r\n\tIndented  twice   ",
                "{\"model\":\"minimax-m1\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}",
                "public static void main(String[] args) {\n    System.out.println(\"x = \" + (1234567 * 89));\n}",
                "价格是每百万个令牌0.40美元，输出2.20美元。", "Привет, как дела? Всё хорошо.", "مرحبا بالعالم",
                "emoji 👍🏽🎉 and flags 🇩🇪🇯🇵 and a ZWJ family 👨‍👩‍👧", "e\u0301 combining marks a\u0308\u0323",
                "<|endoftext|> special tokens count as text", "12345678901234567890 3.14159 1,000,000",
                "https://api.minimax.io/anthropic/v1/messages?beta=true#frag", "    \n\n\n    x\n  ",
                "lone surrogate \uD800 here", "ÀÉÎÕÜ ſtraße ǅungla Ǉ");
        for (String text : samples) {
            assertThat(counter.count(text)).as(text).isEqualTo(jtokkit.countTokensOrdinary(text));
        }
    }

    @Test
    void countsWhatJtokkitCountsOnRandomMixedText() {
        String[] alphabets = {"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " \t\n\r  ",
                ".,;:!?'\"()[]{}<>/\\|-_=+*&^%$#@~`", "éüßçñøåæœ", "日本語中文한국어", "Ωπφψжщыэ", "\u0301\u0308\u200d",
                "🙂🚀🇺", "'s'll've're'd'm't"};
        Random random = new Random(20261124);
        for (int sample = 0; sample < 3000; sample++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(200);
            while (text.length() < length) {
                String alphabet = alphabets[random.nextInt(alphabets.length)];
                int run = 1 + random.nextInt(12);
                for (int i = 0; i < run; i++) text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                        random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            String s = text.toString();
            assertThat(counter.count(s)).as(s).isEqualTo(jtokkit.countTokensOrdinary(s));
        }
    }

    @Test
    void countsWhatJtokkitCountsOnLongPieces() {
        // one pre-tokenizer piece of tens of kilobytes (a pasted blob): the heap path, jtokkit's large encoder
        Random random = new Random(7);
        StringBuilder letters = new StringBuilder(), hex = new StringBuilder();
        for (int i = 0; i < 40_000; i++) {
            letters.append((char) ('a' + random.nextInt(26)));
            hex.append("0123456789abcdef".charAt(random.nextInt(16)));
        }
        for (String text : List.of(letters.toString(), hex.toString(), "a".repeat(30_000), "ab".repeat(15_000),
                "=".repeat(20_000), " ".repeat(10_000) + "x", "😀".repeat(5_000))) {
            assertThat(counter.count(text)).as("%d chars of %s", text.length(), text.substring(0, 8))
                    .isEqualTo(jtokkit.countTokensOrdinary(text));
        }
    }

    @Test
    void aPieceLongerThanOneMergeIsCountedInPartsWithBoundedMemory() {
        // 4 parts and a bit: at most a token more per part than counting the piece whole
        String blob = "a".repeat(4 * O200kTokenCounter.LONGEST_MERGE + 123);
        long whole = jtokkit.countTokensOrdinary(blob);
        assertThat(counter.count(blob)).isBetween(whole, whole + 5);

        // merging 4 MB as one piece would allocate ~36 bytes per byte; in parts it is the text's copies and
        // one part's arrays
        String huge = "x".repeat(4 << 20);
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        long tokens = counter.count(huge);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(tokens).isBetween(huge.length() / 128L, (long) huge.length());
        assertThat(allocated).isLessThan(8L * huge.length());
    }

    @Test
    void tablesAreAFractionOfJtokkitsMaps() {
        // jtokkit's maps hold about 22 MB of heap for this vocabulary
        assertThat(counter.tableBytes()).isBetween(2_000_000L, 6_000_000L);
    }
}
