//! The preview overlay: text with line numbers, or a hex dump for binary data and invalid
//! UTF-8. Content is untrusted: control characters never reach the terminal.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{format, theme};
use crate::app::object::PreviewView;
use crate::escape::untrusted;

/// The loaded bytes as text, if they are text. A multi-byte character cut at the end of a
/// chunk still counts as text while more is to come.
fn as_text(data: &[u8], more: bool) -> Option<&str> {
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(e) if more && e.error_len().is_none() => std::str::from_utf8(&data[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    (!text.contains('\0')).then_some(text)
}

fn hex_line(offset: usize, bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let ascii: String =
        bytes.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect();
    format!("{offset:08x}  {:<47}  |{ascii}|", hex.join(" "))
}

/// The preview as display lines, and whether it is text.
pub fn lines(data: &[u8], more: bool) -> (Vec<String>, bool) {
    match as_text(data, more) {
        Some(text) => (text.lines().map(|l| untrusted(&l.replace('\t', "    ")).into_owned()).collect(), true),
        None => (data.chunks(16).enumerate().map(|(i, c)| hex_line(i * 16, c)).collect(), false),
    }
}

pub fn line_count(data: &[u8], more: bool) -> usize {
    lines(data, more).0.len()
}

pub fn render(view: &PreviewView, frame: &mut Frame, area: Rect) {
    let popup = area.inner(ratatui::layout::Margin { horizontal: 2, vertical: 1 });
    let rows = usize::from(popup.height.saturating_sub(2));
    let (all, text) = lines(&view.data, view.more_to_load());
    let width = format::count(all.len()).len();
    let mut shown: Vec<Line> = all
        .iter()
        .enumerate()
        .skip(view.scroll)
        .take(rows)
        .map(|(n, line)| {
            if text {
                Line::from(vec![Span::styled(format!("{:>width$} ", n + 1), theme::label()), Span::raw(line.clone())])
            } else {
                Line::from(line.clone())
            }
        })
        .collect();
    if let Some(error) = &view.error {
        shown.push(Line::from(Span::styled(untrusted(error).into_owned(), theme::error())));
    }
    let loaded = format::size(view.data.len() as u64);
    let status = match (view.total, view.pending) {
        (None, _) => "loading…".to_string(),
        (Some(total), Some(_)) => format!("{loaded} of {} · loading more…", format::size(total)),
        (Some(total), None) if view.more_to_load() => {
            format!("truncated: first {loaded} of {} · scroll to the end to load more", format::size(total))
        }
        (Some(total), None) => format!("all {}", format::size(total)),
    };
    let kind = if text { "text" } else { "binary: hex dump" };
    let version = match &view.object.version_id {
        Some(v) => format!(", version {}", format::fit(&untrusted(v), 12)),
        None => String::new(),
    };
    let key = format::fit(&untrusted(&view.object.key), usize::from(popup.width) / 2);
    let title = format!(" preview: {key} ({kind}{version}) ");
    let block = Block::bordered()
        .title(Span::styled(title, theme::header()))
        .title_bottom(Line::from(Span::styled(format!(" {status} · Esc closes "), theme::hint())).right_aligned())
        .border_style(theme::border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(shown).block(block), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_numbered_escaped_and_cut_characters_wait_for_more() {
        let (lines, text) = lines(b"one\ttab\nevil \x1b[2J\nlast", false);
        assert!(text);
        assert_eq!(lines, ["one    tab", "evil \\u{1b}[2J", "last"]);
        let cut = "é".as_bytes();
        assert!(super::lines(&[b'a', cut[0]], true).1, "a character cut at the chunk's end is still text");
        assert!(!super::lines(&[b'a', cut[0]], false).1, "but not at the object's end");
    }

    #[test]
    fn binary_becomes_a_hex_dump() {
        let data: Vec<u8> = (0u8..20).collect();
        let (lines, text) = lines(&data, false);
        assert!(!text);
        assert_eq!(lines[0], "00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  |................|");
        assert_eq!(lines[1], "00000010  10 11 12 13                                      |....|");
    }
}
