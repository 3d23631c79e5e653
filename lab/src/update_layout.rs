//! An UPDATE's path attributes as its octets lay them out, for the vector tests that
//! re-encode what a router sent. The order of the attributes (RFC 4271 section 5) and the
//! Extended Length bit on a short value (section 4.3) are the encoder's free choices, so a
//! router's octets may differ from ours there, and the tests must know where.

/// One path attribute as it stands in the octets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeLayout {
    /// The attribute type code.
    pub type_code: u8,
    /// The Extended Length bit: the length takes two octets.
    pub extended_length: bool,
    /// The length of the value, in octets.
    pub len: usize,
}

impl AttributeLayout {
    /// True when the length has the form our encoder writes: Extended Length only for a
    /// value over 255 octets.
    pub fn has_our_length_form(&self) -> bool {
        self.extended_length == (self.len > 255)
    }
}

/// The path attributes of the UPDATE `body` (the message after its 19-octet header), in
/// wire order. The body must be well formed: a vector test decodes it first.
pub fn path_attributes(body: &[u8]) -> Vec<AttributeLayout> {
    let withdrawn = usize::from(u16::from_be_bytes([body[0], body[1]]));
    let at = 2 + withdrawn;
    let len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    let mut section = &body[at + 2..at + 2 + len];
    let mut attributes = Vec::new();
    while !section.is_empty() {
        let extended_length = section[0] & 0x10 != 0;
        let (header, len) = if extended_length {
            (4, usize::from(u16::from_be_bytes([section[2], section[3]])))
        } else {
            (3, usize::from(section[2]))
        };
        attributes.push(AttributeLayout {
            type_code: section[1],
            extended_length,
            len,
        });
        section = &section[header + len..];
    }
    attributes
}

/// Where our encoder writes an attribute of type `code`: MP_UNREACH_NLRI first, then
/// MP_REACH_NLRI, then the others by ascending type code.
pub fn our_order(code: u8) -> u16 {
    match code {
        15 => 0,
        14 => 1,
        c => 2 + u16::from(c),
    }
}

/// True when `attributes` stand in the order our encoder writes them.
pub fn in_our_order(attributes: &[AttributeLayout]) -> bool {
    attributes
        .windows(2)
        .all(|w| our_order(w[0].type_code) < our_order(w[1].type_code))
}
