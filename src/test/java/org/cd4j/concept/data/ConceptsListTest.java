package org.cd4j.concept.data;

import org.cd4j.io.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConceptsListTest {
    @TempDir
    Path dir;

    private Path json(String text) throws IOException {
        Path p = dir.resolve("concepts.json");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsTheReferenceFormat() throws IOException {
        Path abs = dir.resolve("elsewhere").toAbsolutePath();
        Path p = json("""
                [
                  {"instance_prompt": "photo of a <new1> cat", "class_prompt": "cat",
                   "instance_data_dir": "./data/cat", "class_data_dir": "real_reg/samples_cat/",
                   "prompt_filename": "prompts/cat.txt"},
                  {"instance_prompt": "<new2> wooden pot", "class_prompt": null,
                   "instance_data_dir": "%s"}
                ]""".formatted(abs.toString().replace("\\", "\\\\")));
        List<Concept> list = ConceptsList.load(p);
        assertThat(list).hasSize(2);
        Concept cat = list.get(0);
        assertThat(cat.instancePrompt()).isEqualTo("photo of a <new1> cat");
        assertThat(cat.classPrompt()).isEqualTo("cat");
        assertThat(cat.instanceDataDir()).isEqualTo(dir.toAbsolutePath().resolve("data/cat"));
        assertThat(cat.classDataDir()).isEqualTo(dir.toAbsolutePath().resolve("real_reg/samples_cat"));
        Concept pot = list.get(1);
        assertThat(pot.instanceDataDir()).isEqualTo(abs);
        assertThat(pot.classPrompt()).isNull();
        assertThat(pot.classDataDir()).isNull();
    }

    @Test
    void missingKeysNameFileEntryAndKey() throws IOException {
        Path p = json("""
                [{"instance_prompt": "<new1> cat", "instance_data_dir": "a"},
                 {"instance_prompt": "<new2> dog", "class_prompt": "dog", "class_data_dir": "c"}]""");
        assertThatThrownBy(() -> ConceptsList.load(p)).isInstanceOf(FormatException.class)
                .hasMessage(p + ": entry 2: 'instance_data_dir' is missing (expected the reference JSON: [{\"instance_prompt\","
                        + " \"class_prompt\", \"instance_data_dir\", \"class_data_dir\"}])");
    }

    @Test
    void wrongShapesAreExplained() throws IOException {
        assertThatThrownBy(() -> ConceptsList.load(json("{\"instance_prompt\": \"x\"}")))
                .hasMessageContaining("concepts.json: the top level is an object, not a list");
        assertThatThrownBy(() -> ConceptsList.load(json("[]"))).hasMessageContaining("the list of concepts is empty");
        assertThatThrownBy(() -> ConceptsList.load(json("[\"a\"]"))).hasMessageContaining("entry 1 is a string, not an object");
        assertThatThrownBy(() -> ConceptsList.load(json("[{\"instance_prompt\": 3, \"instance_data_dir\": \"a\"}]")))
                .hasMessageContaining("entry 1: 'instance_prompt' is a number, expected a string");
        assertThatThrownBy(() -> ConceptsList.load(json("[{\"instance_prompt\": \" \", \"instance_data_dir\": \"a\"}]")))
                .hasMessageContaining("entry 1: 'instance_prompt' is empty");
        assertThatThrownBy(() -> ConceptsList.load(json("[{\"instance_prompt\": \"a\", \"instance_data_dir\": \"a\", "
                + "\"class_data_dir\": [1]}]"))).hasMessageContaining("entry 1: 'class_data_dir' is a list, expected a string");
        assertThatThrownBy(() -> ConceptsList.load(json("[{\"instance_prompt\": \"a\",")))
                .isInstanceOf(FormatException.class).hasMessageContaining("concepts.json: not valid JSON at line 1");
        assertThatThrownBy(() -> ConceptsList.load(json(""))).hasMessageContaining("the top level is an empty file");
        assertThatThrownBy(() -> ConceptsList.load(dir.resolve("nope.json"))).hasMessageContaining("nope.json");
    }
}
