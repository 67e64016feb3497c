package dev.strata.xep0363;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.strata.api.stanza.StanzaException;

class UploadHttpTest {
    @Test
    void rangesAsRfc9110Says() {
        assertThat(UploadHttp.range("bytes=0-99", 1000)).containsExactly(0, 100);
        assertThat(UploadHttp.range("bytes=900-", 1000)).containsExactly(900, 100);
        assertThat(UploadHttp.range("bytes=-100", 1000)).containsExactly(900, 100);
        assertThat(UploadHttp.range("bytes=-5000", 1000)).containsExactly(0, 1000);
        assertThat(UploadHttp.range("bytes=990-5000", 1000)).containsExactly(990, 10);
        assertThat(UploadHttp.range("bytes=1000-", 1000)).isEmpty(); // 416
        assertThat(UploadHttp.range("bytes=-0", 1000)).isEmpty();
        assertThat(UploadHttp.range("bytes=5-1", 1000)).isNull(); // invalid: the whole file
        assertThat(UploadHttp.range("bytes=0-1,5-6", 1000)).isNull(); // several: the whole file
        assertThat(UploadHttp.range("items=0-1", 1000)).isNull();
        assertThat(UploadHttp.range("bytes=-", 1000)).isNull();
        assertThat(UploadHttp.range("bytes=99999999999999999999-", 1000)).isNull(); // too long a number: ignored, not an exception
    }

    @Test
    void onlyPicturesAudioAndVideoShowInPlace() {
        assertThat(UploadHttp.disposition("image/png", "a.png")).startsWith("inline;");
        assertThat(UploadHttp.disposition("video/mp4", "a.mp4")).startsWith("inline;");
        assertThat(UploadHttp.disposition("text/html", "x.html")).startsWith("attachment;");
        assertThat(UploadHttp.disposition("image/svg+xml", "x.svg")).startsWith("attachment;");
        assertThat(UploadHttp.disposition("application/pdf", "Ärger \"q\".pdf"))
                .isEqualTo("attachment; filename=\"_rger _q_.pdf\"; filename*=UTF-8''%C3%84rger%20%22q%22.pdf");
    }

    @Test
    void fileNamesArePlainNames() throws StanzaException {
        assertThat(UploadService.filename(" photo 1.jpg ")).isEqualTo("photo 1.jpg");
        assertThat(UploadService.filename("Ünïcödé.txt")).isEqualTo("Ünïcödé.txt");
        for (String bad : new String[] {"../etc/passwd", "a/b", "a\\b", "..", ".", "", " ", "a\u0000b", "a\nb", "x".repeat(256)}) {
            assertThatThrownBy(() -> UploadService.filename(bad)).as(bad).isInstanceOf(StanzaException.class);
        }
        assertThatThrownBy(() -> UploadService.filename(null)).isInstanceOf(StanzaException.class);
    }

    @Test
    void theServedPathComesFromTheUrl() {
        assertThat(UploadService.path("https://{domain}:5281/upload/")).isEqualTo("/upload/");
        assertThat(UploadService.path("https://files.example.org/x")).isEqualTo("/x/");
        assertThat(UploadService.path("https://files.example.org")).isEqualTo("/");
    }
}
