from services.common.serve import main
from services.risk.app import MIGRATIONS, create_risk_app
from services.risk.settings import RiskSettings

main(settings_factory=RiskSettings, app_factory=create_risk_app, migrations_dir=MIGRATIONS)  # type: ignore[arg-type]
