package lodestar.routing.auto.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FeaturesTest {

    private final Features features = new Features(FeatureConfig.DEFAULT);

    private Features.Extracted extract(final String prompt) {
        final Features.Extracted raw = features.extract(PromptView.of(prompt));
        return new Features.Extracted(raw.vector().canonical(), raw.kind(), raw.tokens(),
                raw.markers());
    }

    @Test
    void theSamePromptGivesTheSameBoundedVector() {
        final SparseVector first = extract("Refactor the parser, please.").vector();
        final SparseVector second = new Features(FeatureConfig.DEFAULT)
                .extract(PromptView.of("Refactor the parser, please.")).vector().canonical();

        assertThat(first).isEqualTo(second).hasSameHashCodeAs(second);
        final int[] indices = first.indices();
        for (int i = 0; i < indices.length; i++) {
            assertThat(indices[i]).isBetween(0, FeatureConfig.DEFAULT.dimension() - 1);
            if (i > 0) {
                assertThat(indices[i]).isGreaterThan(indices[i - 1]);
            }
        }
    }

    @Test
    void wordsCountOnceAndCaseDoesNotMatter() {
        assertThat(extract("cat cat cat").vector()).isEqualTo(extract("CAT Cat cat").vector());
        assertThat(extract("cat").vector()).isNotEqualTo(extract("dog").vector());
    }

    @Test
    void detectsTheKindOfPrompt() {
        assertThat(extract("Which planet is red?\nA. Mars\nB. Venus\nC. Earth\nD. Moon\n"
                + "Answer:").kind()).isEqualTo(Features.Kind.CHOICE);
        assertThat(extract("Fix this:\n```java\nint x = 1;\n```").kind())
                .isEqualTo(Features.Kind.CODE);
        assertThat(extract("if (a[i] != b[j]) {\n  x = y * (z + 1);\n}\nreturn {};").kind())
                .isEqualTo(Features.Kind.CODE);
        assertThat(extract("Janet has 3 apples. How many are left?").kind())
                .isEqualTo(Features.Kind.TEXT);
        assertThat(extract("").kind()).isEqualTo(Features.Kind.TEXT);
        assertThat(Features.Kind.CODE.label()).isEqualTo("code");
    }

    @Test
    void countsHardWorkMarkersAndPhrases() {
        assertThat(extract("hello there").markers()).isZero();
        assertThat(extract("Please refactor across the modules and find the race condition")
                .markers()).isEqualTo(3);
        assertThat(extract("DEBUG this, then debug it again").markers()).isEqualTo(1);
    }

    @Test
    void theKindConjunctionDoublesTheFeatures() {
        final Features plain = new Features(FeatureConfig.DEFAULT.withKindConjunction(false)
                .withBigrams(false, 0));
        final Features joined = new Features(FeatureConfig.DEFAULT.withBigrams(false, 0));
        final PromptView view = PromptView.of("one two three four");

        assertThat(joined.extract(view).vector().size())
                .isEqualTo(2 * plain.extract(view).vector().size());
    }

    @Test
    void bigramsAndCharacterNgramsAddFeatures() {
        final PromptView view = PromptView.of("alpha beta gamma delta");
        final int unigrams = new Features(FeatureConfig.DEFAULT.withBigrams(false, 0))
                .extract(view).vector().size();
        final int bigrams = new Features(FeatureConfig.DEFAULT).extract(view).vector().size();
        final int chars = new Features(FeatureConfig.DEFAULT.withCharNgrams(4, 0.3))
                .extract(view).vector().size();

        assertThat(bigrams).isGreaterThan(unigrams);
        assertThat(chars).isGreaterThan(bigrams);
    }

    @Test
    void trigramsAddOneFeaturePerThreeWordRunAndKind() {
        final PromptView view = PromptView.of("alpha beta gamma delta");
        final FeatureConfig without = FeatureConfig.DEFAULT.withText(0, true, 8);
        // raw (unmerged) entries: trigrams "alpha beta gamma" and "beta gamma delta", each alone
        // and joined with the kind
        assertThat(new Features(FeatureConfig.DEFAULT).extract(view).vector().size()
                - new Features(without).extract(view).vector().size()).isEqualTo(4);
    }

    @Test
    void theTextNormScalesWordFeaturesByTheirDistinctCount() {
        final FeatureConfig plain = FeatureConfig.DEFAULT.withKindConjunction(false)
                .withText(0.5, false, 8);
        final float[] values = new Features(plain).extract(PromptView.of("alpha beta gamma"))
                .vector().values();
        // 3 words + 2 bigrams + 1 trigram = 6 distinct: words 8/sqrt(6) = 3.266, bigrams
        // 0.7 of it = 2.286, the trigram 0.5 of it = 1.633
        assertThat(count(values, 3.26599f)).isEqualTo(3);
        assertThat(count(values, 2.28619f)).isEqualTo(2);
        assertThat(count(values, 1.63299f)).isEqualTo(1);
        // one more word: 4 + 3 + 2 = 9 distinct, words 8/3
        assertThat(count(new Features(plain).extract(PromptView.of("alpha beta gamma delta"))
                .vector().values(), 2.66667f)).isEqualTo(4);
        final float[] unscaled = new Features(plain.withText(0.5, false, 0))
                .extract(PromptView.of("alpha beta gamma")).vector().values();
        assertThat(count(unscaled, 0.7f)).isEqualTo(2);
        // the trigram, and the two neighbours of the length bucket
        assertThat(count(unscaled, 0.5f)).isEqualTo(3);
    }

    private static int count(final float[] values, final float value) {
        int n = 0;
        for (final float v : values) {
            if (Math.abs(v - value) < 1e-4f) {
                n++;
            }
        }
        return n;
    }

    @Test
    void shapeFeaturesDescribeTheQuestion() {
        final FeatureConfig noShape = FeatureConfig.DEFAULT.withText(0.5, false, 8);
        final String question = "Which is NOT a prime?\nA. 2\nB. 3\nC. 4\nD. 5";
        // numeric options, option length, stem length, quantities, number words, question
        // marks, negation: 7 features, each alone and joined with the kind
        assertThat(shapeEntries(question, noShape)).isEqualTo(14);
        assertThat(shapeEntries(question.replace("NOT", "not"), noShape)).isEqualTo(12);
        assertThat(shapeEntries("Statement 1 | x. Statement 2 | y.\nA. True\nB. None of the "
                + "above", noShape)).isEqualTo(16);
        // a word problem: no options, so stem, quantities, number words and question marks
        assertThat(shapeEntries("Tom has three apples and twice as many pears. How many?",
                noShape)).isEqualTo(8);
    }

    private static int shapeEntries(final String prompt, final FeatureConfig without) {
        final PromptView view = PromptView.of(prompt);
        return new Features(FeatureConfig.DEFAULT).extract(view).vector().size()
                - new Features(without).extract(view).vector().size();
    }

    @Test
    void readsOnlyTheHeadAndTailOfLongTurnsButCountsTheirWholeLength() {
        final FeatureConfig small = new FeatureConfig(16, false, 0.5, 0, 0.3, false, 100,
                List.of());
        final Features few = new Features(small);
        final String filler = "x".repeat(80);
        final String middle = filler + " zebra " + filler;
        final String other = filler + " koala " + filler;

        assertThat(few.extract(PromptView.of(middle)).vector().canonical())
                .isEqualTo(few.extract(PromptView.of(other)).vector().canonical());
        assertThat(few.extract(PromptView.of(middle + "x".repeat(5000))).vector().canonical())
                .isNotEqualTo(few.extract(PromptView.of(middle)).vector().canonical());
    }

    @Test
    void requestShapeChangesTheVector() {
        final String text = "Summarise the meeting notes";
        final SparseVector single = features.extract(PromptView.of(text)).vector().canonical();
        final List<PromptView> variants = List.of(
                new PromptView(text, "", 1, text.length(), true, false),
                new PromptView(text, "", 1, text.length(), false, true),
                new PromptView(text, "", 9, text.length(), false, false),
                new PromptView(text, "", 1, 40_000, false, false),
                new PromptView(text, "earlier question about budgets", 3, text.length(), false,
                        false));
        for (final PromptView variant : variants) {
            assertThat(features.extract(variant).vector().canonical()).as("%s", variant)
                    .isNotEqualTo(single);
        }
    }

    @Test
    void numbersMoneyAndPercentagesAreFeatures() {
        assertThat(extract("It costs $3.50 and rises 5% a year").vector())
                .isNotEqualTo(extract("It costs 3 50 and rises 5 a year").vector());
        assertThat(extract("I have 12345678901 coins").vector().size()).isPositive();
    }

    @Test
    void bucketsHashesAndTokens() {
        assertThat(Features.log2Bucket(0)).isZero();
        assertThat(Features.log2Bucket(1)).isEqualTo(1);
        assertThat(Features.log2Bucket(3)).isEqualTo(2);
        assertThat(Features.log2Bucket(4)).isEqualTo(3);
        assertThat(Features.log2Bucket(Long.MAX_VALUE)).isEqualTo(16);
        assertThat(Features.mix(1)).isNotEqualTo(Features.mix(2)).isEqualTo(Features.mix(1));
        assertThat(Features.tokenHashes("Race-condition, 42 times")).hasSize(4);
        assertThat(Features.tokenHashes("race")).containsExactly(
                Features.tokenHashes("RACE")[0]);
        assertThat(Features.tokenHashes("  ")).isEmpty();
    }

    @Test
    void theConfigurationChecksItsRanges() {
        assertThatThrownBy(() -> FeatureConfig.DEFAULT.withBits(9))
                .hasMessageContaining("bits 9");
        assertThatThrownBy(() -> FeatureConfig.DEFAULT.withCharNgrams(2, 1))
                .hasMessageContaining("charNgrams");
        assertThatThrownBy(() -> new FeatureConfig(18, false, 1, 0, 1, false, 50, null))
                .hasMessageContaining("maxChars");
        assertThat(new FeatureConfig(18, false, 1, 0, 1, false, 500, null).markers()).isEmpty();
        assertThat(features.config()).isEqualTo(FeatureConfig.DEFAULT);
        assertThatThrownBy(() -> FeatureConfig.DEFAULT.withText(-1, true, 8))
                .hasMessageContaining("trigramWeight -1");
        assertThatThrownBy(() -> FeatureConfig.DEFAULT.withText(0.5, true, Double.NaN))
                .hasMessageContaining("textNorm");
    }

    @Test
    void sparseVectorsMergeSortAndMultiply() {
        final SparseVector vector = SparseVector.of(new int[] {5, 1, 5, 3}, new float[] {1, 2,
            3, 4}, 4);

        assertThat(vector.indices()).containsExactly(1, 3, 5);
        assertThat(vector.values()).containsExactly(2f, 4f, 4f);
        final float[] weights = new float[8];
        weights[5] = 0.5f;
        weights[1] = -1f;
        assertThat(vector.dot(weights)).isEqualTo(0.0);
        assertThat(vector.toString()).contains("[1, 3, 5]");
        assertThat(vector).isNotEqualTo("x");
        assertThatThrownBy(() -> new SparseVector(new int[1], new float[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
