//! Enums for IANA registries whose wire value is an integer: the values this crate knows
//! get a variant, every other value is kept in `Unknown` so it can still be shown or
//! sent back. The conversions in both directions are generated from the one table of
//! variants and values, so they cannot disagree.

/// Defines the enum and `From` conversions from and to its wire integer. A `;` ends the
/// known values; the variant after it, always `Unknown`, holds every other value:
///
/// ```ignore
/// code_point! {
///     /// Docs and derives of the enum.
///     pub enum Afi: u16 {
///         /// IPv4 (1).
///         Ipv4 = 1;
///         /// Any other value.
///         Unknown,
///     }
/// }
/// ```
macro_rules! code_point {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident: $int:ty {
            $( $(#[$variant_meta:meta])* $variant:ident = $value:literal ),+ ;
            $(#[$unknown_meta:meta])* Unknown $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
            $(#[$unknown_meta])* Unknown($int),
        }

        impl From<$int> for $name {
            fn from(v: $int) -> $name {
                match v {
                    $( $value => $name::$variant, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for $int {
            fn from(v: $name) -> $int {
                match v {
                    $( $name::$variant => $value, )+
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

pub(crate) use code_point;

#[cfg(test)]
mod tests;
