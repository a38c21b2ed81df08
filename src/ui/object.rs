//! The details overlay and the share menu.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{format, overlay, theme};
use crate::app::object::{DetailsView, LIFETIMES, ShareItem, ShareMenu, VersionsView, s3_uri};
use crate::escape::untrusted;

fn field(name: &str, value: &str) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{name:<15}"), theme::label()), Span::raw(untrusted(value).into_owned())])
}

pub fn render_details(view: &DetailsView, frame: &mut Frame, area: Rect) {
    let mut lines = vec![field("object", &s3_uri(&view.object))];
    match &view.result {
        None => lines.push(Line::from(Span::styled("asking S3…", theme::hint()))),
        Some(Err(error)) => lines.push(Line::from(Span::styled(untrusted(error).into_owned(), theme::error()))),
        Some(Ok(d)) => {
            lines.push(field("size", &format!("{} ({} bytes)", format::size(d.size), format::count(d.size as usize))));
            let modified = d.last_modified.map(crate::timefmt::rfc3339).unwrap_or_default();
            lines.push(field("last modified", &modified));
            lines.push(field("ETag", d.etag.as_deref().unwrap_or("")));
            lines.push(field("content type", d.content_type.as_deref().unwrap_or("")));
            lines.push(field("storage class", d.storage_class.as_deref().unwrap_or("")));
            lines.push(field("encryption", d.encryption.as_deref().unwrap_or("none reported")));
            if let Some(version) = &d.version_id {
                lines.push(field("version", version));
            }
            if d.metadata.is_empty() {
                lines.push(field("metadata", "none"));
            }
            for (k, v) in &d.metadata {
                lines.push(field("metadata", &format!("{k}: {v}")));
            }
            match &d.tags {
                Ok(tags) if tags.is_empty() => lines.push(field("tags", "none")),
                Ok(tags) => lines.extend(tags.iter().map(|(k, v)| field("tag", &format!("{k} = {v}")))),
                Err(why) => lines.push(Line::from(vec![
                    Span::styled(format!("{:<15}", "tags"), theme::label()),
                    Span::styled(untrusted(why).into_owned(), theme::hint()),
                ])),
            }
        }
    }
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(4);
    let area = overlay::centered(area, 100, height);
    let block = overlay::block(" details ", "Esc closes");
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

pub fn render_share(menu: &ShareMenu, frame: &mut Frame, area: Rect) {
    let mut lines = vec![field("object", &s3_uri(&menu.object)), Line::default()];
    for (i, item) in ShareItem::ALL.iter().enumerate() {
        let label = match item {
            ShareItem::S3Uri => "copy the s3:// URI".to_string(),
            ShareItem::HttpsUrl => "copy the https:// URL".to_string(),
            ShareItem::Presigned => format!("copy a presigned GET URL, valid for ◀ {} ▶", LIFETIMES[menu.lifetime].1),
        };
        let mut line = Line::from(format!("  {label}"));
        if i == menu.cursor {
            line = line.style(theme::selected());
        }
        lines.push(line);
    }
    lines.push(Line::default());
    if let Some(note) = &menu.note {
        lines.push(Line::from(Span::styled(untrusted(note).into_owned(), theme::header())));
    }
    if let Some(copied) = &menu.copied {
        lines.push(Line::from(Span::styled("copied (select it here if your terminal ignores OSC 52):", theme::hint())));
        lines.push(Line::from(untrusted(copied).into_owned()));
    }
    let area = overlay::centered(area, 100, 16);
    let block = overlay::block(" share ", "↑↓ choose · ←→ lifetime · Enter copy · Esc close");
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

pub fn render_versions(view: &VersionsView, frame: &mut Frame, area: Rect) {
    let mut lines = vec![field("object", &s3_uri(&view.object)), Line::default()];
    match &view.result {
        None => lines.push(Line::from(Span::styled("asking S3…", theme::hint()))),
        Some(Err(error)) => lines.push(Line::from(Span::styled(untrusted(error).into_owned(), theme::error()))),
        Some(Ok(versions)) if versions.is_empty() => {
            lines.push(Line::from("no versions: the bucket may not be versioned"))
        }
        Some(Ok(versions)) => {
            lines.push(Line::from(Span::styled(
                format!("{:<34} {:>10}  {:<19}  {}", "VERSION", "SIZE", "LAST MODIFIED", "STATE"),
                theme::header(),
            )));
            for (i, v) in versions.iter().enumerate() {
                let state = match (v.is_latest, v.is_delete_marker) {
                    (true, true) => "latest · delete marker",
                    (false, true) => "delete marker",
                    (true, false) => "latest",
                    (false, false) => "",
                };
                let size = v.size.map(format::size).unwrap_or_default();
                let modified = v.last_modified.map(crate::timefmt::listing).unwrap_or_default();
                let id = format::fit(&untrusted(v.version_id.as_deref().unwrap_or("null")), 34);
                let mut line = Line::from(format!("{id:<34} {size:>10}  {modified:<19}  {state}"));
                if i == view.cursor {
                    line = line.style(theme::selected());
                }
                lines.push(line);
            }
        }
    }
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2);
    let popup = overlay::centered(area, 100, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(overlay::block(" versions ", "↑↓ move · p preview · d details · D download · Esc close")),
        popup,
    );
}
