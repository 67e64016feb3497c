package dev.strata.transport.internal;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.XmlWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/** Serializes elements as UTF-8 straight into a Netty buffer, with no intermediate string. */
record ByteBufSink(ByteBuf buf) implements XmlWriter.Sink {
    /** Writes {@code element} into {@code out}, in the context of the default namespace {@code contextNamespace}. */
    static void write(Element element, ByteBuf out, String contextNamespace) {
        XmlWriter.write(element, new ByteBufSink(out), contextNamespace);
    }

    @Override
    public void ascii(String s) {
        ByteBufUtil.writeAscii(buf, s);
    }

    @Override
    public void ascii(char c) {
        buf.writeByte(c);
    }

    @Override
    public void text(String s, int from, int to) {
        ByteBufUtil.writeUtf8(buf, s, from, to);
    }
}
