import TesseraCLI
import TesseraCore
import TesseraSite

/// Loading a site's settings and templates, with errors in the command-line form.
enum SiteSettings {
    static func load(_ site: SiteFolder) throws(CommandLineError) -> Settings {
        try SiteOptions.settings(of: site)
    }

    static func renderer(_ site: SiteFolder, _ settings: Settings) throws(CommandLineError) -> SiteRenderer {
        do {
            return try SiteRenderer(settings: settings, templatesFolder: site.path("templates"))
        } catch {
            throw CommandLineError(error.description, hint: "fix or remove the template; the built-in ones are used where none is given")
        }
    }
}
