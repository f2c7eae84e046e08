use staunch::retry_on_exception;
use staunch::test_util::FakeClock;
use std::io;

fn transient(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::TimedOut
}

#[retry_on_exception(max_attempts = 3, when = transient)]
fn sync_free(n: &mut u32) -> Result<u32, io::Error> {
    *n += 1;
    if *n < 3 {
        return Err(io::ErrorKind::TimedOut.into());
    }
    let v: u32 = "7".parse().map_err(|_| io::Error::other("x"))?;
    Ok(v)
}

struct S {
    calls: u32,
    name: String,
}

impl S {
    #[retry_on_exception(max_attempts = 4, wait_min = "10ms", when = |e| e.kind() == io::ErrorKind::TimedOut)]
    fn bump(&mut self) -> Result<&str, io::Error> {
        self.calls += 1;
        if self.calls < 2 {
            Err(io::ErrorKind::TimedOut.into())
        } else {
            Ok(&self.name)
        }
    }

    #[retry_on_exception(max_attempts = 4)]
    async fn abump(&mut self, clock_fake: &FakeClock) -> Result<&str, io::Error> {
        let _ = clock_fake;
        self.calls += 1;
        tokio::task::yield_now().await;
        if self.calls < 3 {
            Err(io::ErrorKind::TimedOut)?
        } else {
            Ok(&self.name)
        }
    }

    #[retry_on_exception(max_attempts = 2)]
    fn display(&self) -> Result<impl std::fmt::Display + '_, io::Error> {
        Ok(&self.name)
    }
}

#[retry_on_exception(max_attempts = 2, classify = |_e| staunch::Verdict::FATAL)]
fn generic<T: Clone + std::fmt::Debug, E: From<io::Error>>(t: &T) -> Result<T, E> {
    Err(io::Error::other("no"))?;
    Ok(t.clone())
}

#[test]
fn scratch() {
    let mut n = 0;
    assert_eq!(sync_free(&mut n).unwrap(), 7);
    assert_eq!(n, 3);
    let mut s = S {
        calls: 0,
        name: "x".into(),
    };
    assert_eq!(s.bump().unwrap(), "x");
    let fake = FakeClock::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    s.calls = 0;
    let _ = rt.block_on(s.abump(&fake));
    assert_eq!(s.display().unwrap().to_string(), "x");
    assert!(generic::<u8, io::Error>(&1).is_err());
}
