"""The manuscript: book.yaml, the Markdown parts and the glossary, read and checked."""
