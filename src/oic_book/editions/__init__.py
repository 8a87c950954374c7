"""The editions made from the rendered book: print (PDF) and EPUB."""
