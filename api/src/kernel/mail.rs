//! The words of every mail, in the recipient's language (English or
//! bokmål). Each function gives (subject, body). Dates are in the site's
//! time zone, written the way the reader's language writes them (chrono's
//! locale data).
use chrono::{DateTime, Locale, Utc};
use chrono_tz::Tz;

use crate::kernel::lang::Lang;

/// "Mon 29 Mar 2027 10:00" / "ma. 29. mars 2027 kl. 10:00".
pub fn when(lang: Lang, tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    match lang {
        Lang::En => local.format("%a %d %b %Y %H:%M").to_string(),
        Lang::Nb => local
            .format_localized("%a %-d. %B %Y kl. %H:%M", Locale::nb_NO)
            .to_string(),
    }
}

pub fn invitation(lang: Lang, name: &str, inviter: &str, link: &str) -> (String, String) {
    match lang {
        Lang::En => (
            "You are invited to Fieldnotes".into(),
            format!("Hello {name},\n\n{inviter} has invited you to the study's Fieldnotes team.\nOpen this link within 7 days to choose your password:\n\n{link}\n\nThe link works once.\n"),
        ),
        Lang::Nb => (
            "Du er invitert til Fieldnotes".into(),
            format!("Hei {name},\n\n{inviter} har invitert deg til studiens team i Fieldnotes.\nÅpne denne lenken innen 7 dager for å velge passord:\n\n{link}\n\nLenken virker én gang.\n"),
        ),
    }
}

pub fn reset_link(lang: Lang, name: &str, link: &str) -> (String, String) {
    match lang {
        Lang::En => (
            "Reset your Fieldnotes password".into(),
            format!("Hello {name},\n\nSomeone (hopefully you) asked to reset your Fieldnotes password.\nOpen this link within 2 hours to choose a new one:\n\n{link}\n\nIf it was not you, ignore this email; your password stays as it is.\n"),
        ),
        Lang::Nb => (
            "Nytt passord i Fieldnotes".into(),
            format!("Hei {name},\n\nNoen (forhåpentlig du) ba om å få nytt passord i Fieldnotes.\nÅpne denne lenken innen 2 timer for å velge et nytt:\n\n{link}\n\nVar det ikke deg, kan du se bort fra denne e-posten; passordet ditt er som før.\n"),
        ),
    }
}

pub fn password_was_reset(lang: Lang, name: &str, keys: u64, feeds: u64) -> (String, String) {
    match lang {
        Lang::En => (
            "Your Fieldnotes password was reset".into(),
            format!("Hello {name},\n\nYour Fieldnotes password was just reset with a link sent to this address.\nTo be safe, every sign-in on every device was ended, and so were your {keys} API key(s) and {feeds} calendar feed(s): make new ones where you still need them.\n\nIf you did not reset your password, tell your study's admin at once.\n"),
        ),
        Lang::Nb => (
            "Passordet ditt i Fieldnotes er endret".into(),
            format!("Hei {name},\n\nPassordet ditt i Fieldnotes ble nettopp endret med en lenke sendt til denne adressen.\nFor sikkerhets skyld er du logget ut på alle enheter, og dine {keys} API-nøkler og {feeds} kalenderabonnementer virker ikke lenger: lag nye der du fortsatt trenger dem.\n\nEndret du ikke passordet selv, si fra til studiens administrator med en gang.\n"),
        ),
    }
}

pub fn credentials_ended(
    lang: Lang,
    name: &str,
    admin: &str,
    sessions: u64,
    keys: u64,
    feeds: u64,
) -> (String, String) {
    match lang {
        Lang::En => (
            "Your Fieldnotes sign-ins, keys and feeds were ended".into(),
            format!("Hello {name},\n\n{admin} ended everything you use Fieldnotes with: {sessions} sign-in(s) on your devices, {keys} API key(s) and {feeds} calendar feed(s).\nSign in again with your password (and your authenticator app) and make new keys and feeds where you still need them.\n\nIf you did not expect this, tell your study's admin at once.\n"),
        ),
        Lang::Nb => (
            "Innlogginger, nøkler og kalenderabonnementer i Fieldnotes er avsluttet".into(),
            format!("Hei {name},\n\n{admin} avsluttet alt du bruker Fieldnotes med: {sessions} innlogging(er) på enhetene dine, {keys} API-nøkler og {feeds} kalenderabonnementer.\nLogg inn igjen med passordet (og autentiseringsappen), og lag nye nøkler og abonnementer der du fortsatt trenger dem.\n\nVentet du ikke dette, si fra til studiens administrator med en gang.\n"),
        ),
    }
}

pub fn second_factor_reset(lang: Lang, name: &str, admin: &str) -> (String, String) {
    match lang {
        Lang::En => (
            "Your Fieldnotes two-factor sign-in was reset".into(),
            format!("Hello {name},\n\n{admin} removed the authenticator app and recovery codes from your Fieldnotes account, and ended all your sign-ins.\nSign in with your password and set up two-factor sign-in again.\n\nIf you did not ask for this, tell your study's admin at once.\n"),
        ),
        Lang::Nb => (
            "Totrinnsinnloggingen din i Fieldnotes er nullstilt".into(),
            format!("Hei {name},\n\n{admin} fjernet autentiseringsappen og gjenopprettingskodene fra kontoen din i Fieldnotes, og logget deg ut overalt.\nLogg inn med passordet og sett opp totrinnsinnlogging på nytt.\n\nHar du ikke bedt om dette, si fra til studiens administrator med en gang.\n"),
        ),
    }
}

/// A webhook was turned off after failing for `hours` hours.
pub fn webhook_turned_off(
    lang: Lang,
    name: &str,
    url: &str,
    hours: i64,
    error: &str,
    link: &str,
) -> (String, String) {
    match lang {
        Lang::En => (
            "A Fieldnotes webhook was turned off".into(),
            format!(
                "Hello {name},

The webhook to {url} was turned off: its deliveries failed for {hours} hour(s). The last error was:

{error}

Nothing more is sent to it until an admin turns it on again. The delivery log is at

{link}
"
            ),
        ),
        Lang::Nb => (
            "En webhook i Fieldnotes er slått av".into(),
            format!(
                "Hei {name},

Webhooken til {url} er slått av: leveransene har feilet i {hours} time(r). Siste feil var:

{error}

Ingenting mer sendes dit før en administrator slår den på igjen. Leveranseloggen finner du her:

{link}
"
            ),
        ),
    }
}

/// What happened to an interview, for its mail.
#[derive(Debug, Clone, Copy)]
pub enum InterviewNews {
    Scheduled,
    Postponed,
    NewTime,
    Cancelled,
    Reopened,
    Changed,
}

/// The facts an interview mail tells.
pub struct InterviewFacts<'a> {
    pub pseudonym: &'a str,
    pub wave: i32,
    /// The interview's time, already written by [`when`].
    pub when: &'a str,
    /// The time before the change, written by [`when`]; `None` for "to be agreed".
    pub previous: Option<&'a str>,
    pub timezone: &'a str,
    pub minutes: i32,
    pub site: &'a str,
    pub place: Option<&'a str>,
    pub link: &'a str,
}

pub fn interview(
    lang: Lang,
    news: InterviewNews,
    name: &str,
    f: &InterviewFacts<'_>,
) -> (String, String) {
    use InterviewNews::*;
    let (p, w, when, tz) = (f.pseudonym, f.wave, f.when, f.timezone);
    let (subject, what) = match lang {
        Lang::En => match news {
            Scheduled => (
                format!("Interview scheduled: {p} on {when}"),
                format!("An interview with {p} (wave {w}) is scheduled for {when} ({tz})."),
            ),
            Postponed => (
                format!("Interview postponed: {p}"),
                format!("The interview with {p} (wave {w}) planned for {} is postponed; a new time is to be agreed.", f.previous.unwrap_or(when)),
            ),
            NewTime => (
                format!("Interview moved: {p} to {when}"),
                format!("The interview with {p} (wave {w}) moved from {} to {when} ({tz}).", f.previous.unwrap_or("a time to be agreed")),
            ),
            Cancelled => (
                format!("Interview cancelled: {p}"),
                format!("The interview with {p} (wave {w}) planned for {when} is cancelled."),
            ),
            Changed => (
                format!("Interview changed: {p} on {when}"),
                format!("The interview with {p} (wave {w}) on {when} ({tz}) has new details: {} minutes.", f.minutes),
            ),
            Reopened => (
                format!("Interview reopened: {p}"),
                format!("The interview with {p} (wave {w}) is open again."),
            ),
        },
        Lang::Nb => match news {
            Scheduled => (
                format!("Intervju avtalt: {p} {when}"),
                format!("Et intervju med {p} (runde {w}) er avtalt {when} ({tz})."),
            ),
            Postponed => (
                format!("Intervju utsatt: {p}"),
                format!("Intervjuet med {p} (runde {w}) som var planlagt {} er utsatt; nytt tidspunkt avtales senere.", f.previous.unwrap_or(when)),
            ),
            NewTime => (
                format!("Intervju flyttet: {p} til {when}"),
                format!("Intervjuet med {p} (runde {w}) er flyttet fra {} til {when} ({tz}).", f.previous.unwrap_or("et tidspunkt som ikke var avtalt")),
            ),
            Cancelled => (
                format!("Intervju avlyst: {p}"),
                format!("Intervjuet med {p} (runde {w}) som var planlagt {when} er avlyst."),
            ),
            Changed => (
                format!("Intervju endret: {p} {when}"),
                format!("Intervjuet med {p} (runde {w}) {when} ({tz}) har nye detaljer: {} minutter.", f.minutes),
            ),
            Reopened => (
                format!("Intervju åpnet igjen: {p}"),
                format!("Intervjuet med {p} (runde {w}) er åpent igjen."),
            ),
        },
    };
    let body = match lang {
        Lang::En => format!(
            "Hello {name},\n\n{what}\nPlace: {}, {}\n\nSee it in Fieldnotes: {}\n\nFieldnotes",
            f.site,
            f.place.unwrap_or("to be told"),
            f.link
        ),
        Lang::Nb => format!(
            "Hei {name},\n\n{what}\nSted: {}, {}\n\nSe det i Fieldnotes: {}\n\nFieldnotes",
            f.site,
            f.place.unwrap_or("kommer senere"),
            f.link
        ),
    };
    (subject, body)
}

/// A reminder `hours` before (1 or less: "within the hour").
pub fn reminder(lang: Lang, name: &str, hours: i64, f: &InterviewFacts<'_>) -> (String, String) {
    let (p, w, when, tz) = (f.pseudonym, f.wave, f.when, f.timezone);
    let place = f.place.unwrap_or(match lang {
        Lang::En => "place to be told",
        Lang::Nb => "sted kommer senere",
    });
    match lang {
        Lang::En => {
            let lead = if hours <= 1 {
                "within the hour".to_string()
            } else {
                format!("in about {hours} hours")
            };
            (
                format!("Reminder: interview with {p} {lead}, {when}"),
                format!("Hello {name},\n\nReminder: the interview with {p} (wave {w}) is {lead}, at {when} ({tz}), {}, {place}.\nScreen the participant before you start.\n\n{}\n\nFieldnotes", f.site, f.link),
            )
        }
        Lang::Nb => {
            let lead = if hours <= 1 {
                "innen en time".to_string()
            } else {
                format!("om omtrent {hours} timer")
            };
            (
                format!("Påminnelse: intervju med {p} {lead}, {when}"),
                format!("Hei {name},\n\nPåminnelse: intervjuet med {p} (runde {w}) er {lead}, {when} ({tz}), {}, {place}.\nScreen deltakeren før dere begynner.\n\n{}\n\nFieldnotes", f.site, f.link),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let t: DateTime<Utc> = "2027-03-29T08:00:00Z".parse().expect("time");
        let oslo = chrono_tz::Europe::Oslo;
        assert_eq!(when(Lang::En, oslo, t), "Mon 29 Mar 2027 10:00");
        assert_eq!(when(Lang::Nb, oslo, t), "ma. 29. mars 2027 kl. 10:00");
    }

    #[test]
    fn every_mail_has_both_languages() {
        let f = InterviewFacts {
            pseudonym: "Ola",
            wave: 1,
            when: "x",
            previous: None,
            timezone: "Europe/Oslo",
            minutes: 60,
            site: "Oslo",
            place: None,
            link: "https://f/",
        };
        for news in [
            InterviewNews::Scheduled,
            InterviewNews::Postponed,
            InterviewNews::NewTime,
            InterviewNews::Cancelled,
            InterviewNews::Reopened,
            InterviewNews::Changed,
        ] {
            let (en, _) = interview(Lang::En, news, "Kari", &f);
            let (nb, body) = interview(Lang::Nb, news, "Kari", &f);
            assert_ne!(en, nb);
            assert!(body.starts_with("Hei Kari"), "{body}");
        }
        assert!(reminder(Lang::Nb, "Kari", 1, &f)
            .1
            .contains("innen en time"));
        assert!(invitation(Lang::Nb, "Kari", "Per", "L")
            .1
            .contains("innen 7 dager"));
        assert!(reset_link(Lang::Nb, "Kari", "L").0.contains("passord"));
        assert!(password_was_reset(Lang::Nb, "Kari", 1, 2)
            .1
            .contains("logget ut"));
        assert!(second_factor_reset(Lang::Nb, "Kari", "Per")
            .0
            .contains("nullstilt"));
    }
}
