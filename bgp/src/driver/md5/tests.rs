use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn a_source_is_read_again_each_time() {
    let reads = Arc::new(AtomicUsize::new(0));
    let r = reads.clone();
    let key = Md5Key::from_fn(move || {
        let n = r.fetch_add(1, Ordering::SeqCst);
        Ok(format!("key-{n}").into_bytes())
    });
    assert_eq!(key.read(), Ok(b"key-0".to_vec()));
    assert_eq!(key.read(), Ok(b"key-1".to_vec()));
    assert_eq!(reads.load(Ordering::SeqCst), 2);
}

#[test]
fn unreadable_empty_or_too_long_keys_are_errors_not_panics() {
    let missing = Md5Key::from_fn(|| Err("no such file".to_string()));
    assert_eq!(
        missing.read(),
        Err(KeyError::Unreadable("no such file".to_string()))
    );
    assert_eq!(Md5Key::Fixed(Vec::new()).read(), Err(KeyError::Empty));
    assert_eq!(
        Md5Key::Fixed(vec![1; 81]).read(),
        Err(KeyError::TooLong(81))
    );
    assert_eq!(Md5Key::Fixed(vec![1; 80]).read().map(|k| k.len()), Ok(80));
}

#[test]
fn debug_output_hides_the_key() {
    let text = format!("{:?}", Md5Key::from(b"s3cret".to_vec()));
    assert!(!text.contains("s3cret"), "{text}");
}
