package dev.strata.api.module;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.strata.api.xml.Element;
import dev.strata.api.xml.Xml;

/** XEP-0115 §5.2 and §5.3: the specification's own examples. */
class CapsTest {
    @Test
    void simpleGenerationExample() throws Exception {
        Element info = Xml.parse("""
                <query xmlns='http://jabber.org/protocol/disco#info'>
                  <identity category='client' name='Exodus 0.9.1' type='pc'/>
                  <feature var='http://jabber.org/protocol/caps'/>
                  <feature var='http://jabber.org/protocol/disco#info'/>
                  <feature var='http://jabber.org/protocol/disco#items'/>
                  <feature var='http://jabber.org/protocol/muc'/>
                </query>""");
        assertThat(Caps.ver(info)).isEqualTo("QgayPKawpkPSDYmwT/WM94uAlu0=");
    }

    @Test
    void complexGenerationExampleWithAnExtendedForm() throws Exception {
        Element info = Xml.parse("""
                <query xmlns='http://jabber.org/protocol/disco#info'>
                  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
                  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
                  <feature var='http://jabber.org/protocol/caps'/>
                  <feature var='http://jabber.org/protocol/disco#info'/>
                  <feature var='http://jabber.org/protocol/disco#items'/>
                  <feature var='http://jabber.org/protocol/muc'/>
                  <x xmlns='jabber:x:data' type='result'>
                    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
                    <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
                    <field var='os'><value>Mac</value></field>
                    <field var='os_version'><value>10.5.1</value></field>
                    <field var='software'><value>Psi</value></field>
                    <field var='software_version'><value>0.11</value></field>
                  </x>
                </query>""");
        assertThat(Caps.ver(info)).isEqualTo("q07IKJEyjvHSyhy//CH0CxmKi8w=");
    }
}
