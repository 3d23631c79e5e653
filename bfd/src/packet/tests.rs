use super::*;
use crate::fuzzing::typical_packet as packet;
use proptest::prelude::*;

/// A Down packet as FRR's bfdd sends it first: diag 0, multiplier 3, 1 s transmit (the
/// section 6.8.3 floor while not Up), 300 ms receive, 50 ms echo.
const FRR_FIRST: [u8; 24] = [
    0x20, 0x40, 0x03, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x42, 0x40,
    0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0xc3, 0x50,
];

fn frr_first() -> Packet {
    Packet {
        desired_min_tx: Micros(1_000_000),
        required_min_echo_rx: Micros(50_000),
        ..packet(State::Down, 1, 0)
    }
}

#[test]
fn decodes_a_down_packet_byte_for_byte() {
    assert_eq!(Packet::decode(&FRR_FIRST), Ok(frr_first()));
}

#[test]
fn encodes_a_down_packet_byte_for_byte() {
    assert_eq!(frr_first().encode(), FRR_FIRST);
}

#[test]
fn flags_state_and_diagnostic_take_their_bits() {
    // Up (3 << 6) with P and C; diag 3; your discriminator 0x01020304.
    let mut bytes = FRR_FIRST;
    bytes[0] = 0x23;
    bytes[1] = 0xc0 | POLL | CPI;
    bytes[8..12].copy_from_slice(&[1, 2, 3, 4]);
    let p = Packet::decode(&bytes).unwrap();
    assert_eq!(p.state, State::Up);
    assert_eq!(p.diagnostic, Diagnostic::NeighborSignaledSessionDown);
    assert!(p.poll && p.control_plane_independent && !p.final_ && !p.demand);
    assert_eq!(p.your_discriminator, 0x0102_0304);
    assert_eq!(p.encode(), bytes);
}

#[test]
fn final_and_demand_bits_round_trip() {
    let p = Packet {
        final_: true,
        demand: true,
        state: State::Init,
        your_discriminator: 9,
        ..frr_first()
    };
    let bytes = p.encode();
    assert_eq!(bytes[1], 0x80 | FINAL | DEMAND);
    assert_eq!(Packet::decode(&bytes), Ok(p));
}

#[test]
fn reserved_diagnostics_are_kept() {
    let mut bytes = FRR_FIRST;
    bytes[0] = 0x20 | 31;
    let p = Packet::decode(&bytes).unwrap();
    assert_eq!(p.diagnostic, Diagnostic::Reserved(31));
    assert_eq!(p.encode(), bytes);
}

#[test]
fn a_short_payload_is_refused() {
    assert_eq!(
        Packet::decode(&FRR_FIRST[..23]),
        Err(DecodeError::Truncated(23))
    );
    assert_eq!(Packet::decode(&[]), Err(DecodeError::Truncated(0)));
}

/// Changes one field of a packet's bytes.
type Spoil = fn(&mut [u8; LEN]);

/// Each check of RFC 5880 section 6.8.6 that needs no session, on FRR's first packet
/// with the one field it is about spoiled.
#[test]
fn each_stateless_check_refuses_its_packet() {
    let cases: [(&str, Spoil, DecodeError); 9] = [
        ("version 2", |b| b[0] = 0x40, DecodeError::Version(2)),
        ("length 23", |b| b[3] = 23, DecodeError::LengthTooSmall(23)),
        (
            "length 25 with the A bit",
            |b| {
                b[1] |= AUTH;
                b[3] = 25;
            },
            DecodeError::LengthTooSmall(25),
        ),
        (
            "length 28 in a 24-byte payload",
            |b| b[3] = 28,
            DecodeError::LengthExceedsPayload {
                length: 28,
                payload: 24,
            },
        ),
        (
            "detect multiplier 0",
            |b| b[2] = 0,
            DecodeError::ZeroDetectMult,
        ),
        ("the M bit", |b| b[1] |= MULTIPOINT, DecodeError::Multipoint),
        (
            "my discriminator 0",
            |b| b[7] = 0,
            DecodeError::ZeroMyDiscriminator,
        ),
        (
            "your discriminator 0 in Init",
            |b| b[1] = 0x80,
            DecodeError::ZeroYourDiscriminator(State::Init),
        ),
        (
            "your discriminator 0 in Up",
            |b| b[1] = 0xc0,
            DecodeError::ZeroYourDiscriminator(State::Up),
        ),
    ];
    for (case, spoil, refusal) in cases {
        let mut bytes = FRR_FIRST;
        spoil(&mut bytes);
        assert_eq!(Packet::decode(&bytes), Err(refusal), "{case}");
    }
}

#[test]
fn bytes_after_the_length_are_ignored() {
    let mut bytes = FRR_FIRST.to_vec();
    bytes.extend_from_slice(&[0xff; 8]);
    assert_eq!(Packet::decode(&bytes), Ok(frr_first()));
}

#[test]
fn a_zero_your_discriminator_is_accepted_in_admin_down() {
    let mut admin_down = FRR_FIRST;
    admin_down[1] = 0x00;
    assert_eq!(
        Packet::decode(&admin_down).map(|p| p.state),
        Ok(State::AdminDown)
    );
}

#[test]
fn authentication_is_refused_when_not_in_use() {
    let mut bytes = FRR_FIRST.to_vec();
    bytes[1] |= AUTH;
    bytes[3] = 26;
    bytes.extend_from_slice(&[1, 2]);
    assert_eq!(Packet::decode(&bytes), Err(DecodeError::Authentication));
}

fn any_state() -> impl Strategy<Value = State> {
    prop_oneof![
        Just(State::AdminDown),
        Just(State::Down),
        Just(State::Init),
        Just(State::Up)
    ]
}

prop_compose! {
    fn any_packet()(
        diag in 0u8..32,
        state in any_state(),
        poll: bool,
        final_: bool,
        cpi: bool,
        demand: bool,
        mult in 1u8..=255,
        my in 1u32..,
        your: u32,
        tx: u32,
        rx: u32,
        echo: u32,
    ) -> Packet {
        let your = if your == 0 && matches!(state, State::Init | State::Up) { 1 } else { your };
        Packet {
            diagnostic: Diagnostic::from_bits(diag),
            state,
            poll,
            final_,
            control_plane_independent: cpi,
            demand,
            detect_mult: NonZeroU8::new(mult).unwrap(),
            my_discriminator: NonZeroU32::new(my).unwrap(),
            your_discriminator: your,
            desired_min_tx: Micros(tx),
            required_min_rx: Micros(rx),
            required_min_echo_rx: Micros(echo),
        }
    }
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity(p in any_packet()) {
        prop_assert_eq!(Packet::decode(&p.encode()), Ok(p));
    }

    #[test]
    fn any_bytes_decode_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        crate::fuzzing::packet(&bytes);
    }

    #[test]
    fn what_decodes_re_encodes_to_the_same_fixed_part(mut bytes in proptest::collection::vec(any::<u8>(), 24..40)) {
        // Steer toward valid packets so the comparison runs often.
        bytes[0] = 0x20 | (bytes[0] & 0x1f);
        bytes[1] &= !(AUTH | MULTIPOINT);
        bytes[3] = 24;
        if let Ok(p) = Packet::decode(&bytes) {
            prop_assert_eq!(&p.encode()[..], &bytes[..24]);
        }
    }
}
