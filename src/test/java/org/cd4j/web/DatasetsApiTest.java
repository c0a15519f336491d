package org.cd4j.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /api/datasets}: image sets, and uploads that must be pictures of bounded size and count. */
class DatasetsApiTest extends ServerFixture {
    @Test
    void createsListsRenamesAndDeletesSets() {
        WebClient.Res c = api.post("/api/datasets", Map.of("name", "my cat", "kind", "instance"));
        assertThat(c.status()).isEqualTo(201);
        String id = c.json().get("id").asText();
        assertThat(c.json().get("count").asInt()).isZero();
        assertThat(api.get("/api/datasets").json().findValuesAsText("id")).contains(id);
        assertThat(api.patch("/api/datasets/" + id, Map.of("name", "renamed")).json().get("name").asText()).isEqualTo("renamed");
        assertThat(api.delete("/api/datasets/" + id).status()).isEqualTo(204);
        api.get("/api/datasets/" + id).error(404);
    }

    @Test
    void refusesBadSetRequests() {
        assertThat(api.post("/api/datasets", Map.of("kind", "weird")).error(400)).contains("kind");
        assertThat(api.post("/api/datasets", "not json").error(400)).contains("JSON");
        api.post("/api/datasets", "[1, 2]").error(400);
        api.get("/api/datasets/ds-20000101-000000-abcdef").error(404);
        api.patch("/api/datasets/ds-nope", Map.of("name", "x")).error(404);
        api.delete("/api/datasets/ds-nope").error(404);
    }

    @Test
    void storesUploadedPicturesUnderServerNamesWithThumbnails() throws IOException {
        String id = api.post("/api/datasets", Map.of("kind", "instance")).json().get("id").asText();
        byte[] png = Files.readAllBytes(potImages().get(0));
        WebClient.Res r = api.upload("/api/datasets/" + id + "/images",
                List.of(new WebClient.Part("../../evil.png", png), new WebClient.Part("/etc/cron.d/x.png", Files.readAllBytes(potImages().get(1)))),
                Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> names = r.json().get("added").findValuesAsText("name");
        assertThat(names).hasSize(2).allMatch(n -> n.matches("\\d{3}-[0-9a-f]{12}\\.png"));
        try (Stream<Path> all = Files.walk(workdir)) {
            assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("evil") || n.equals("x.png"));
        }
        JsonNode set = api.get("/api/datasets/" + id).json();
        assertThat(set.get("count").asInt()).isEqualTo(2);
        WebClient.Res img = api.get(set.get("images").get(0).get("url").asText());
        assertThat(img.status()).isEqualTo(200);
        assertThat(img.raw().headers().firstValue("Content-Type")).hasValue("image/png");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(img.raw().body()));
        assertThat(decoded.getWidth()).isEqualTo(ImageIO.read(potImages().get(0).toFile()).getWidth());
        WebClient.Res thumb = api.get(set.get("images").get(0).get("thumb").asText());
        assertThat(thumb.raw().headers().firstValue("Content-Type")).hasValue("image/jpeg");

        WebClient.Res again = api.upload("/api/datasets/" + id + "/images", List.of(new WebClient.Part("same.png", png)), Map.of());
        assertThat(again.json().get("added")).isEmpty();
        assertThat(again.json().get("rejected").get(0).get("error").asText()).contains("already in the set");

        assertThat(api.delete("/api/datasets/" + id + "/images/" + names.get(0)).status()).isEqualTo(204);
        api.get("/api/datasets/" + id + "/images/" + names.get(0)).error(404);
        api.delete("/api/datasets/" + id + "/images/" + names.get(0)).error(404);
        assertThat(api.get("/api/datasets/" + id).json().get("count").asInt()).isEqualTo(1);
    }

    @Test
    void rejectsWhatIsNotAPictureOneFileAtATime() throws IOException {
        String id = api.post("/api/datasets", Map.of("kind", "instance")).json().get("id").asText();
        byte[] png = Files.readAllBytes(potImages().get(2));
        WebClient.Res r = api.upload("/api/datasets/" + id + "/images", List.of(
                new WebClient.Part("notes.png", "hello, I am text".getBytes()),
                new WebClient.Part("cut.png", Arrays.copyOf(png, 60)),
                new WebClient.Part("empty.jpg", new byte[0]),
                new WebClient.Part("bomb.png", pngHeaderOnly(30_000, 30_000)),
                new WebClient.Part("good.png", png)), Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("added")).hasSize(1);
        Map<String, String> why = new java.util.HashMap<>();
        r.json().get("rejected").forEach(x -> why.put(x.get("file").asText(), x.get("error").asText()));
        assertThat(why).containsOnlyKeys("notes.png", "cut.png", "empty.jpg", "bomb.png");
        assertThat(why.get("notes.png")).contains("not a picture");
        assertThat(why.get("cut.png")).contains("picture");
        assertThat(why.get("empty.jpg")).contains("empty");
        assertThat(why.get("bomb.png")).contains("megapixels");
    }

    @Test
    void limitsUploadSizeAndCount() throws IOException {
        String id = api.post("/api/datasets", Map.of("kind", "class")).json().get("id").asText();
        byte[] big = new byte[(int) ImageUpload.MAX_BYTES + 1024];
        System.arraycopy(Files.readAllBytes(potImages().get(0)), 0, big, 0, 100);
        WebClient.Res r = api.upload("/api/datasets/" + id + "/images", List.of(new WebClient.Part("huge.png", big)), Map.of());
        assertThat(r.json().get("rejected").get(0).get("error").asText()).contains("larger than 25 MB");

        List<WebClient.Part> many = new ArrayList<>();
        byte[] tiny = tinyPng();
        for (int i = 0; i <= Datasets.MAX_PER_UPLOAD; i++) many.add(new WebClient.Part(i + ".png", tiny));
        assertThat(api.upload("/api/datasets/" + id + "/images", many, Map.of()).error(413)).contains("at most 64");

        assertThat(api.post("/api/datasets/" + id + "/images", "{}").error(400)).contains("multipart");
        assertThat(api.upload("/api/datasets/" + id + "/images", List.of(), Map.of("x", "y")).error(400)).contains("no file");
    }

    /** A valid PNG signature and IHDR claiming a huge picture, with no pixel data. */
    static byte[] pngHeaderOnly(int w, int h) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes();
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    static byte[] tinyPng() throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", o);
        return o.toByteArray();
    }
}
