//! A site's time zone as a calendar needs it: the offset changes (daylight
//! saving) over a period, read from the IANA database that chrono-tz
//! carries. RFC 5545 wants a VTIMEZONE for every TZID a calendar uses, so a
//! phone shows the right local time on both sides of a change.
use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// One stretch of a zone's time: from `starts` (UTC) on, clocks read
/// `offset_to`; before it they read `offset_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observance {
    pub starts: DateTime<Utc>,
    /// Seconds east of UTC.
    pub offset_from: i32,
    pub offset_to: i32,
    /// The zone's abbreviation from then on ("CET", "CEST").
    pub name: String,
    /// Daylight saving time rather than standard time.
    pub daylight: bool,
}

impl Observance {
    /// `starts` as the clocks read it just before the change (how RFC 5545
    /// gives an observance's DTSTART).
    pub fn local_start(&self) -> NaiveDateTime {
        self.starts.naive_utc() + Duration::seconds(self.offset_from.into())
    }
}

fn at(tz: Tz, t: DateTime<Utc>) -> (i32, bool, String) {
    let o = tz.offset_from_utc_datetime(&t.naive_utc());
    let total = o.fix().local_minus_utc();
    let name = o.abbreviation().unwrap_or_default().to_string();
    (total, o.dst_offset().num_seconds() != 0, name)
}

/// The observance in force at `from`, then every change up to `to`. Zones
/// change at most a few times a year, so a day's step finds every change
/// (none is ever less than a day after the last), and halving the step
/// finds its second.
pub fn observances(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Observance> {
    let (offset, daylight, name) = at(tz, from);
    let mut out = vec![Observance {
        starts: from,
        offset_from: offset,
        offset_to: offset,
        name,
        daylight,
    }];
    let mut t = from;
    let mut current = offset;
    while t < to {
        let next = (t + Duration::days(1)).min(to);
        let (o, _, _) = at(tz, next);
        if o != current {
            // The change is in (t, next]: halve until it is one second.
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            let second = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if at(tz, second(mid)).0 == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = second(hi);
            let (to_offset, daylight, name) = at(tz, hi);
            out.push(Observance {
                starts: hi,
                offset_from: current,
                offset_to: to_offset,
                name,
                daylight,
            });
            current = to_offset;
        }
        t = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn oslo_changes_twice_a_year_at_one_utc() {
        let o = observances(
            chrono_tz::Europe::Oslo,
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
        );
        assert_eq!(o.len(), 3, "{o:?}");
        assert_eq!(
            (o[0].offset_to, o[0].daylight, o[0].name.as_str()),
            (3600, false, "CET")
        );
        assert_eq!(o[1].starts, utc("2027-03-28T01:00:00Z"));
        assert_eq!(
            (o[1].offset_from, o[1].offset_to, o[1].daylight),
            (3600, 7200, true)
        );
        assert_eq!(o[1].name, "CEST");
        // The clocks read 02:00 when they jump to 03:00.
        assert_eq!(o[1].local_start().to_string(), "2027-03-28 02:00:00");
        assert_eq!(o[2].starts, utc("2027-10-31T01:00:00Z"));
        assert_eq!(o[2].local_start().to_string(), "2027-10-31 03:00:00");
        assert!(!o[2].daylight);
    }

    #[test]
    fn a_zone_without_changes_has_one_observance() {
        let o = observances(
            Tz::UTC,
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
        );
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].offset_from, o[0].offset_to), (0, 0));
    }

    #[test]
    fn the_southern_hemisphere_too() {
        let o = observances(
            chrono_tz::Australia::Sydney,
            utc("2027-01-01T00:00:00Z"),
            utc("2028-01-01T00:00:00Z"),
        );
        assert_eq!(o.len(), 3);
        assert!(o[0].daylight);
        assert!(!o[1].daylight);
        assert!(o[2].daylight);
    }
}
